// Integration test of the nginx data plane's reloads: a config change is served within 1 s and no request fails meanwhile.
import assert from "node:assert/strict";
import { Agent } from "node:http";
import { after, before, test } from "node:test";
import { kindFor, type KindInfo } from "@kubeplane/api";
import { ApiClient, type JsonObject } from "@kubeplane/client";
import { clientTls, freePort, metricSamples, serviceEntry, startControlPlane, startServiceProcess, waitFor, type ControlPlane, type ServiceProcess } from "@kubeplane/testing";
import { echoOf, send, startBackend, type Backend } from "./support.js";

const services = kindFor("v1", "Service") as KindInfo;
const slices = kindFor("discovery.k8s.io/v1", "EndpointSlice") as KindInfo;
const ingresses = kindFor("networking.k8s.io/v1", "Ingress") as KindInfo;
const ns = "ingress-reload";

let cp: ControlPlane;
let client: ApiClient;
let a: Backend;
let b: Backend;
let controller: ServiceProcess;
let httpPort: number;

const slice = (port: number): JsonObject => ({
  apiVersion: "discovery.k8s.io/v1",
  kind: "EndpointSlice",
  metadata: { namespace: ns, name: "web-1", labels: { "kubernetes.io/service-name": "web" } },
  addressType: "IPv4",
  endpoints: [{ addresses: ["127.0.0.1"], conditions: { ready: true } }],
  ports: [{ name: "http", port, protocol: "TCP" }],
});

const ingress = (name: string, host: string): JsonObject => ({
  apiVersion: "networking.k8s.io/v1",
  kind: "Ingress",
  metadata: { namespace: ns, name },
  spec: { ingressClassName: "kubeplane", rules: [{ host, http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: "web", port: { number: 80 } } } }] } }] },
});

before(async () => {
  // The backends first: a control plane that fails to start must not leave them open (the run would never end).
  [a, b] = await Promise.all([startBackend("a"), startBackend("b")]);
  cp = await startControlPlane();
  client = ApiClient.connect({ ...clientTls(), server: cp.apiserver.grpcAddress });
  await client.json.create(kindFor("v1", "Namespace") as KindInfo, { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
  await client.json.create(services, { apiVersion: "v1", kind: "Service", metadata: { namespace: ns, name: "web" }, spec: { ports: [{ name: "http", port: 80 }] } });
  await client.json.create(slices, slice(a.port));
  await client.json.create(ingresses, ingress("first", "first.example"));
  httpPort = await freePort();
  controller = await startServiceProcess({
    entry: serviceEntry("ingress-controller"),
    flags: { apiserver: cp.apiserver.grpcAddress, "nats-url": cp.nats.url, "proxy-http-listen": `127.0.0.1:${httpPort}`, "proxy-https-listen": "127.0.0.1:0", "publish-address": "192.0.2.10" },
  });
});

after(async () => {
  await controller?.kill();
  await Promise.all([a?.close(), b?.close()]);
  client?.close();
  await cp?.stop();
});

/** Milliseconds from now until `check` holds (polled every 5 ms, 5 s at most). */
async function msUntil(check: () => Promise<boolean>): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < 5000) {
    if (await check().catch(() => false)) return performance.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return Infinity;
}

test("a new Ingress and an endpoint change are served within 1 s, and no request fails during the reloads", async (t) => {
  const failures: string[] = [];
  let answered = 0;
  let running = true;
  const keepAlive = new Agent({ keepAlive: true, maxSockets: 2 });
  // Four clients in a loop: two on fresh connections, two on kept-alive ones, all through every reload.
  const load = Array.from({ length: 4 }, async (_, i) => {
    while (running) {
      try {
        const answer = await send(httpPort, "first.example", i < 2 ? {} : { agent: keepAlive });
        if (answer.status === 200) answered++;
        else failures.push(`status ${answer.status}`);
      } catch (err) {
        failures.push((err as Error).message);
      }
    }
  });
  let newIngressMs = Infinity;
  let endpointMs = Infinity;
  try {
    assert.equal(echoOf(await send(httpPort, "first.example")).name, "a");
    await client.json.create(ingresses, ingress("second", "second.example"));
    newIngressMs = await msUntil(async () => (await send(httpPort, "second.example")).status === 200);
    await client.json.patch(slices, ns, "web-1", { ports: [{ name: "http", port: b.port, protocol: "TCP" }] });
    endpointMs = await msUntil(async () => echoOf(await send(httpPort, "first.example")).name === "b");
    t.diagnostic(`new Ingress served after ${newIngressMs.toFixed(0)} ms, new endpoint after ${endpointMs.toFixed(0)} ms; ${answered} requests answered`);
  } finally {
    running = false;
    await Promise.all(load);
    keepAlive.destroy();
  }
  // Failures first: a late reload must not hide a failed request.
  assert.deepEqual(failures, [], `requests failed during the reloads (${answered} answered)`);
  assert.ok(answered > 20, `the load ran through the reloads (${answered} answered)`);
  assert.ok(newIngressMs < 1000, `the new Ingress was served after ${newIngressMs.toFixed(0)} ms`);
  assert.ok(endpointMs < 1000, `the new endpoint was served after ${endpointMs.toFixed(0)} ms`);
  // The new workers serve before the apply that started them has finished (it still waits for the old ones to drain).
  const reloads = async (): Promise<number> =>
    metricSamples(await controller.metrics(), "ingress_controller_config_reloads_total").find((s) => s.labels.result === "success")?.value ?? 0;
  await waitFor(async () => (await reloads()) >= 3, { timeoutMs: 5000, message: "nginx reloaded for the start, the Ingress and the endpoint" });
});
