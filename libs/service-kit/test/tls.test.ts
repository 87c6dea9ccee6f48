// Integration test: a service is secure by default — mutual TLS on gRPC, /metrics only for authenticated scrapers.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { ChannelCredentials, Metadata, credentials, type ServiceError } from "@grpc/grpc-js";
import { testingV1 } from "@kubeplane/api";
import { ServiceStartError, loadConfig, peerIdentity, type Service } from "@kubeplane/service-kit";
import { grpcCredentials, httpProbe, testPki, testPkiNow } from "@kubeplane/testing";
import { createEchoService, echoConfig } from "./fixtures/echo-service.js";

await testPki();

function tlsArgs(name = "scheduler"): string[] {
  const files = testPkiNow().files(name);
  return [`--tls-cert-file=${files.certFile}`, `--tls-key-file=${files.keyFile}`, `--tls-client-ca-file=${files.caFile}`];
}

function echoOver(client: InstanceType<typeof testingV1.EchoServiceClient>, message: string): Promise<testingV1.EchoResponse> {
  return new Promise((resolve, reject) =>
    client.echo(testingV1.EchoRequest.fromPartial({ message }), new Metadata(), { deadline: Date.now() + 3000 }, (err, r) => (err ? reject(err) : resolve(r))),
  );
}

/** A certificate and key of a CA the cluster does not trust (openssl, self-signed). */
function foreignCertificate(dir: string): { cert: Buffer; key: Buffer } {
  const cert = join(dir, "foreign.crt");
  const key = join(dir, "foreign.key");
  execFileSync("openssl", [
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
    "-subj", "/CN=kubernetes-admin/O=system:masters", "-keyout", key, "-out", cert,
  ], { stdio: "ignore" });
  return { cert: readFileSync(cert), key: readFileSync(key) };
}

async function started(argv: string[]): Promise<{ service: Service; grpcAddress: string; httpUrl: string }> {
  const service = createEchoService(loadConfig(echoConfig, { argv: ["--log-level=silent", ...argv], env: {}, envPrefix: "KP_ECHO" }));
  const at = await service.start();
  return { service, grpcAddress: at.grpcAddress, httpUrl: at.httpUrl };
}

test("without a certificate a service refuses to start unless insecureServing is set explicitly", async () => {
  const service = createEchoService(loadConfig(echoConfig, { argv: ["--log-level=silent"], env: {}, envPrefix: "KP_ECHO" }));
  await assert.rejects(service.start(), (err: Error) => err instanceof ServiceStartError && /TLS is required/.test(err.message));
  const noClientCa = testPkiNow().files("scheduler");
  const halfway = createEchoService(
    loadConfig(echoConfig, { argv: ["--log-level=silent", `--tls-cert-file=${noClientCa.certFile}`, `--tls-key-file=${noClientCa.keyFile}`], env: {}, envPrefix: "KP_ECHO" }),
  );
  await assert.rejects(halfway.start(), (err: Error) => err instanceof ServiceStartError && /tlsClientCaFile is required/.test(err.message));
});

test("gRPC needs a client certificate the cluster CA signed: plaintext, TLS without one and a foreign one are refused", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "kp-tls-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const { service, grpcAddress } = await started(tlsArgs());
  t.after(() => service.stop());
  const ca = readFileSync(testPkiNow().caFile);
  const foreign = foreignCertificate(dir);
  const clients = {
    admin: new testingV1.EchoServiceClient(grpcAddress, grpcCredentials()),
    plaintext: new testingV1.EchoServiceClient(grpcAddress, credentials.createInsecure()),
    noCertificate: new testingV1.EchoServiceClient(grpcAddress, ChannelCredentials.createSsl(ca)),
    foreign: new testingV1.EchoServiceClient(grpcAddress, ChannelCredentials.createSsl(ca, foreign.key, foreign.cert)),
  };
  t.after(() => Object.values(clients).forEach((c) => c.close()));

  assert.equal((await echoOver(clients.admin, "over mtls")).message, "over mtls");
  for (const name of ["plaintext", "noCertificate", "foreign"] as const) {
    await assert.rejects(echoOver(clients[name], name), (err: ServiceError) => err.code !== 0, `${name} must be refused`);
  }
});

test("/healthz and /readyz are anonymous; /metrics needs an authenticated scraper", async (t) => {
  const { service, httpUrl } = await started(tlsArgs());
  t.after(() => service.stop());
  assert.match(httpUrl, /^https:/);
  const pki = testPkiNow();
  const anonymous = { caFile: pki.caFile };
  assert.equal((await httpProbe("GET", `${httpUrl}/healthz`, undefined, 2000, anonymous)).status, 200);
  assert.equal((await httpProbe("GET", `${httpUrl}/readyz`, undefined, 2000, anonymous)).status, 200);
  assert.equal((await httpProbe("GET", `${httpUrl}/metrics`, undefined, 2000, anonymous)).status, 401);
  const scraped = await httpProbe("GET", `${httpUrl}/metrics`, undefined, 2000, pki.files("prometheus"));
  assert.equal(scraped.status, 200);
  assert.match(scraped.text, /^kubeplane_serving_certificate_expiration_timestamp_seconds \d+/m);
});

test("with clientAuth request, a caller may come without a certificate and the handler reads who presented one", async (t) => {
  const { Service: KitService } = await import("@kubeplane/service-kit");
  const config = loadConfig(echoConfig, { argv: ["--log-level=silent", ...tlsArgs("apiserver")], env: {}, envPrefix: "KP_ECHO" });
  const service = new KitService({ name: "echo-request", config, clientAuth: "request" });
  const seen: Array<string | undefined> = [];
  const authContextReads = new Map<string, number>();
  const impl: testingV1.EchoServiceServer = {
    echo: (call, callback) => {
      // Counts the certificate reads: a TLS 1.3 connection's verified identity is read once, then remembered.
      const read = call.getAuthContext.bind(call);
      call.getAuthContext = () => {
        authContextReads.set(call.request.message, (authContextReads.get(call.request.message) ?? 0) + 1);
        return read();
      };
      const peer = peerIdentity(call);
      seen.push(peer ? `${peer.commonName}/${peer.organizations.join("+")}` : undefined);
      callback(null, { message: call.request.message, traceId: "" });
    },
    echoStream: (call) => call.end(),
  };
  service.addService(testingV1.EchoServiceService, impl);
  const at = await service.start();
  t.after(() => service.stop());
  const ca = readFileSync(testPkiNow().caFile);
  const anonymous = new testingV1.EchoServiceClient(at.grpcAddress, ChannelCredentials.createSsl(ca));
  const admin = new testingV1.EchoServiceClient(at.grpcAddress, grpcCredentials());
  const scheduler = new testingV1.EchoServiceClient(at.grpcAddress, grpcCredentials("scheduler"));
  t.after(() => [anonymous, admin, scheduler].forEach((c) => c.close()));
  for (let i = 0; i < 3; i++) {
    await echoOver(anonymous, "anonymous");
    await echoOver(admin, "admin");
    await echoOver(scheduler, "scheduler");
  }
  const schedulerIdentity = seen[2];
  assert.match(schedulerIdentity ?? "", /^system:kube-scheduler\//);
  assert.deepEqual(seen, Array.from({ length: 3 }, () => [undefined, "kubernetes-admin/system:masters", schedulerIdentity]).flat());
  // Each verified connection's certificate was read by its first call only; the anonymous one has none to remember.
  assert.deepEqual(Object.fromEntries(authContextReads), { anonymous: 3, admin: 1, scheduler: 1 });
});
