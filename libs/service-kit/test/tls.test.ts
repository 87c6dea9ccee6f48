// Integration test: both listeners serve TLS when a certificate is configured.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { get } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { Metadata, credentials, type ServiceError } from "@grpc/grpc-js";
import { testingV1 } from "@kubeplane/api";
import { channelCredentials, loadConfig } from "@kubeplane/service-kit";
import { createEchoService, echoConfig } from "./fixtures/echo-service.js";

function selfSignedCert(dir: string): { cert: string; key: string } {
  const cert = join(dir, "tls.crt");
  const key = join(dir, "tls.key");
  execFileSync("openssl", [
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
    "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
    "-keyout", key, "-out", cert,
  ], { stdio: "ignore" });
  return { cert, key };
}

test("with a certificate, gRPC and HTTP listeners serve TLS and refuse plaintext", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "kp-tls-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const { cert, key } = selfSignedCert(dir);
  const service = createEchoService(
    loadConfig(echoConfig, { argv: ["--log-level=silent", `--tls-cert-file=${cert}`, `--tls-key-file=${key}`], env: {}, envPrefix: "KP_ECHO" }),
  );
  const at = await service.start();
  t.after(() => service.stop());
  assert.match(at.httpUrl, /^https:/);

  const secure = new testingV1.EchoServiceClient(at.grpcAddress, channelCredentials({ caFile: cert }));
  t.after(() => secure.close());
  const res = await new Promise<testingV1.EchoResponse>((resolve, reject) =>
    secure.echo(testingV1.EchoRequest.fromPartial({ message: "over tls" }), (err, r) => (err ? reject(err) : resolve(r))),
  );
  assert.equal(res.message, "over tls");

  const plain = new testingV1.EchoServiceClient(at.grpcAddress, credentials.createInsecure());
  t.after(() => plain.close());
  await assert.rejects(
    new Promise((resolve, reject) =>
      plain.echo(testingV1.EchoRequest.fromPartial({ message: "plain" }), new Metadata(), { deadline: Date.now() + 3000 }, (err, r) => (err ? reject(err) : resolve(r))),
    ),
    (err: ServiceError) => err.code !== 0,
  );

  const status = await new Promise<number>((resolve, reject) => {
    get(`${at.httpUrl}/healthz`, { ca: readFileSync(cert) }, (r) => {
      r.resume();
      resolve(r.statusCode ?? 0);
    }).on("error", reject);
  });
  assert.equal(status, 200);
});
