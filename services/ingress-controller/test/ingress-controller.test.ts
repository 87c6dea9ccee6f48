// Integration test of the ingress controller: a real control plane, the controller as a process, real HTTP backends on loopback.
import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, request as httpRequest, type IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { after, before, test } from "node:test";
import { kindFor, type KindInfo } from "@kubeplane/api";
import { ApiClient, type JsonObject } from "@kubeplane/client";
import { clientTls, freePort, metricSamples, serviceEntry, startControlPlane, startServiceProcess, waitFor, type ControlPlane, type ServiceProcess } from "@kubeplane/testing";
import { FALLBACK_COMMON_NAME, selfSignedCertificate } from "../src/index.js";
import { echoOf, send, startBackend, type Backend } from "./support.js";

const namespaces = kindFor("v1", "Namespace") as KindInfo;
const services = kindFor("v1", "Service") as KindInfo;
const slices = kindFor("discovery.k8s.io/v1", "EndpointSlice") as KindInfo;
const secrets = kindFor("v1", "Secret") as KindInfo;
const ingresses = kindFor("networking.k8s.io/v1", "Ingress") as KindInfo;
const ns = "ingress-e2e";
/** Only written into Ingress status (TEST-NET-1): no traffic is ever sent to it. */
const PUBLISH_ADDRESS = "192.0.2.10";

let cp: ControlPlane;
let client: ApiClient;
let a: Backend;
let b: Backend;
let controller: ServiceProcess;
let httpPort: number;
let httpsPort: number;

function slice(service: string, addresses: string[], port: number): JsonObject {
  return {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: { namespace: ns, name: `${service}-1`, labels: { "kubernetes.io/service-name": service } },
    addressType: "IPv4",
    endpoints: addresses.map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
    ports: [{ name: "http", port, protocol: "TCP" }],
  };
}

function service(name: string): JsonObject {
  return { apiVersion: "v1", kind: "Service", metadata: { namespace: ns, name }, spec: { ports: [{ name: "http", port: 80, targetPort: "http" }], selector: { app: name } } };
}

function ingress(name: string, className: string, rules: JsonObject[], tls: JsonObject[] = []): JsonObject {
  return { apiVersion: "networking.k8s.io/v1", kind: "Ingress", metadata: { namespace: ns, name }, spec: { ingressClassName: className, rules, tls } };
}

const rule = (host: string, svc: string, port: JsonObject): JsonObject => ({
  host,
  http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: svc, port } } }] },
});

before(async () => {
  // The backends first: a control plane that fails to start must not leave them open (the run would never end).
  [a, b] = await Promise.all([startBackend("a"), startBackend("b")]);
  cp = await startControlPlane();
  client = ApiClient.connect({ ...clientTls(), server: cp.apiserver.grpcAddress });
  await client.json.create(namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
  await client.json.create(services, service("a"));
  await client.json.create(services, service("b"));
  await client.json.create(slices, slice("a", ["127.0.0.1"], a.port));
  // 127.0.0.2 is loopback with nothing listening on b's port: every other connection is refused and retried.
  await client.json.create(slices, slice("b", ["127.0.0.1", "127.0.0.2"], b.port));
  const pem = await selfSignedCertificate("a.example");
  const data = { "tls.crt": Buffer.from(pem.cert).toString("base64"), "tls.key": Buffer.from(pem.key).toString("base64") };
  await client.json.create(secrets, { apiVersion: "v1", kind: "Secret", metadata: { namespace: ns, name: "a-tls" }, type: "kubernetes.io/tls", data });
  await client.json.create(
    ingresses,
    ingress("web", "kubeplane", [rule("a.example", "a", { number: 80 }), rule("b.example", "b", { name: "http" })], [{ hosts: ["a.example"], secretName: "a-tls" }]),
  );
  [httpPort, httpsPort] = [await freePort(), await freePort()];
  controller = await startServiceProcess({
    entry: serviceEntry("ingress-controller"),
    flags: {
      apiserver: cp.apiserver.grpcAddress,
      "nats-url": cp.nats.url,
      "proxy-http-listen": `127.0.0.1:${httpPort}`,
      "proxy-https-listen": `127.0.0.1:${httpsPort}`,
      "publish-address": PUBLISH_ADDRESS,
    },
  });
});

after(async () => {
  await controller?.kill();
  await Promise.all([a?.close(), b?.close()]);
  client?.close();
  await cp?.stop();
});

test("an Ingress with two hosts routes each to its Service", async () => {
  const toA = await send(httpPort, "a.example", { path: "/some/path?q=1" });
  assert.equal(toA.status, 200);
  assert.equal(echoOf(toA).name, "a");
  assert.equal(echoOf(toA).path, "/some/path?q=1");
  const toB = await send(httpPort, "b.example");
  assert.equal(toB.status, 200);
  assert.equal(echoOf(toB).name, "b");
});

test("the backend sees X-Forwarded-* headers and the original Host; hop-by-hop headers are not relayed", async () => {
  const answer = await send(httpPort, "a.example");
  const seen = echoOf(answer).headers;
  assert.equal(seen.host, "a.example");
  assert.equal(seen["x-forwarded-for"], "127.0.0.1");
  assert.equal(seen["x-forwarded-proto"], "http");
  assert.equal(seen["x-forwarded-host"], "a.example");
  assert.equal(answer.headers["x-backend"], "a");
  assert.equal(answer.headers["keep-alive"], undefined, "the backend's Keep-Alive header is hop-by-hop");
});

test("a request body streams to the backend and its answer streams back", async () => {
  const body = Buffer.alloc(2 * 1024 * 1024, "x");
  const answer = await send(httpPort, "a.example", { method: "POST", body });
  assert.equal(answer.status, 200);
  assert.equal(answer.body.length, body.length);
});

test("an unknown host gets 404", async () => {
  const answer = await send(httpPort, "unknown.example");
  assert.equal(answer.status, 404);
});

test("a refused endpoint is skipped: every request reaches the live one", async () => {
  const before = b.requests();
  for (let i = 0; i < 10; i++) {
    const answer = await send(httpPort, "b.example");
    assert.equal(answer.status, 200);
    assert.equal(echoOf(answer).name, "b");
  }
  assert.equal(b.requests() - before, 10);
  const failures = metricSamples(await controller.metrics(), "ingress_controller_upstream_connect_failures_total").find((s) => s.labels.service === "b");
  assert.ok((failures?.value ?? 0) >= 5, `round-robin tried the refusing endpoint about every other time (${failures?.value})`);
});

test("the served Ingress's status gets the publish address", async () => {
  await waitFor(
    async () => {
      const ing = (await client.json.get(ingresses, ns, "web")) as { status?: { loadBalancer?: { ingress?: Array<{ ip?: string }> } } };
      return ing.status?.loadBalancer?.ingress?.[0]?.ip === PUBLISH_ADDRESS;
    },
    { timeoutMs: 10_000, message: "status.loadBalancer.ingress[0].ip" },
  );
});

test("HTTPS picks the Ingress TLS Secret's certificate by SNI, and the fallback for other names", async () => {
  const toA = await send(httpsPort, "a.example", { tls: true });
  assert.equal(toA.certificateCn, "a.example");
  assert.equal(echoOf(toA).name, "a");
  assert.equal(echoOf(toA).headers["x-forwarded-proto"], "https");
  const toB = await send(httpsPort, "b.example", { tls: true });
  assert.equal(toB.certificateCn, FALLBACK_COMMON_NAME);
  assert.equal(echoOf(toB).name, "b");
});

test("an Upgrade request is passed through and the connection then carries bytes both ways", async () => {
  const req = httpRequest({ host: "127.0.0.1", port: httpPort, headers: { host: "a.example", connection: "Upgrade", upgrade: "echo" }, agent: false });
  req.end();
  const [res, socket] = (await once(req, "upgrade")) as [IncomingMessage, Duplex];
  try {
    assert.equal(res.statusCode, 101);
    assert.equal(res.headers["x-backend"], "a");
    socket.write("ping");
    const [data] = (await once(socket, "data")) as [Buffer];
    assert.equal(data.toString(), "ping");
  } finally {
    socket.destroy();
  }
});

test("an Ingress of another class is not served", async () => {
  await client.json.create(ingresses, ingress("other", "nginx", [rule("c.example", "a", { number: 80 })]));
  // Informer events arrive in revision order: once the later Ingress routes, the earlier one was seen.
  await client.json.create(ingresses, ingress("later", "kubeplane", [rule("d.example", "a", { number: 80 })]));
  await waitFor(async () => (await send(httpPort, "d.example")).status === 200, { timeoutMs: 10_000, message: "d.example routed" });
  assert.equal((await send(httpPort, "c.example")).status, 404);
  const other = (await client.json.get(ingresses, ns, "other")) as { status?: { loadBalancer?: { ingress?: unknown[] } } };
  assert.equal(other.status?.loadBalancer?.ingress?.length ?? 0, 0, "its status is left to its own controller");
});

test("a Service whose endpoints are removed answers 503", async () => {
  await client.json.patch(slices, ns, "a-1", { endpoints: [] });
  await waitFor(async () => (await send(httpPort, "a.example")).status === 503, { timeoutMs: 10_000, message: "503 for a.example" });
  assert.equal((await send(httpPort, "b.example")).status, 200, "the other host is unaffected");
});

test("requests are counted per Ingress, Service and status", async () => {
  const text = await controller.metrics();
  const requests = metricSamples(text, "ingress_controller_requests_total");
  const count = (service: string, status: string): number =>
    requests.find((s) => s.labels.ingress === "web" && s.labels.namespace === ns && s.labels.service === service && s.labels.status === status)?.value ?? 0;
  assert.ok(count("a", "200") >= 4, `a 200s: ${count("a", "200")}`);
  assert.ok(count("b", "200") >= 10, `b 200s: ${count("b", "200")}`);
  assert.ok(count("a", "503") >= 1);
  assert.ok(requests.some((s) => s.labels.status === "404" && s.labels.service === ""), "404s without a route");
  assert.match(text, /ingress_controller_request_duration_seconds_bucket\{/);
  assert.match(text, /ingress_controller_config_syncs_total [1-9]/);
  assert.match(text, /ingress_controller_routes [1-9]/);
  assert.match(text, /ingress_controller_ssl_certificates 1/);
});

test("SIGTERM stops the controller cleanly and frees its ports", async () => {
  await controller.kill("SIGTERM");
  assert.doesNotMatch(controller.output(), /"level":(50|60)/, "no error or fatal log on the way down");
  const server = createServer();
  server.listen(httpPort, "127.0.0.1");
  await once(server, "listening");
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
