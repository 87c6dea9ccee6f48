// Both ways nginx counts requests (its access log through a FIFO, Lua in the workers), against a real nginx: every request counted once, failed endpoints and unrouted requests included, across a reload.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { createLogger } from "@kubeplane/service-kit";
import { freePort } from "@kubeplane/testing";
import { Registry } from "prom-client";
import { ingressMetrics, type IngressMetrics } from "../src/metrics.js";
import { NginxDataPlane } from "../src/nginx-data-plane.js";
import { RoutingTable } from "../src/routing-table.js";
import { selfSignedCertificate, type PemKeyPair } from "../src/self-signed-certificate.js";
import { ingress } from "../src/test-support.js";
import { send, startBackend, type Backend } from "./support.js";

let backend: Backend;
let fallback: PemKeyPair;

before(async () => {
  [backend, fallback] = await Promise.all([startBackend("a"), selfSignedCertificate("fallback.test")]);
});

after(async () => {
  await backend?.close();
});

/** The value of one sample of a metric, 0 when absent. */
async function sample(metric: { get(): Promise<{ values: Array<{ value: number; labels: Record<string, unknown>; metricName?: string }> }> }, labels: Record<string, string>, metricName?: string): Promise<number> {
  const { values } = await metric.get();
  const found = values.find((v) => (metricName === undefined || v.metricName === metricName) && Object.entries(labels).every(([k, want]) => String(v.labels[k] ?? "") === want));
  return found?.value ?? 0;
}

for (const mode of ["access-log", "lua"] as const) {
  test(`--nginx-request-metrics=${mode}: every request is counted once, by route and status, across a reload`, async () => {
    const dir = await mkdtemp(join(tmpdir(), `kp-request-metrics-${mode}-`));
    const registry = new Registry();
    let plane: NginxDataPlane | undefined;
    const metrics: IngressMetrics = ingressMetrics(registry, () => plane?.settleRequestMetrics() ?? Promise.resolve());
    // 127.0.0.2 has nothing on the backend's port: every request that meets it is refused there and retried on 127.0.0.1.
    let paths = [{ path: "/", service: "a" }];
    const [httpPort, httpsPort] = [await freePort(), await freePort()];
    try {
      plane = await NginxDataPlane.start({
        stateDir: dir,
        binary: "nginx",
        workerProcesses: "1",
        httpListen: `127.0.0.1:${httpPort}`,
        httpsListen: `127.0.0.1:${httpsPort}`,
        connectTimeoutMs: 2000,
        shutdownGraceMs: 5000,
        requestMetrics: mode,
        modulesDir: "/usr/lib/nginx/modules",
        minReloadIntervalMs: 0,
        fallback,
        inputs: () => ({
          routes: new RoutingTable([ingress("web", { "a.example": paths }, { ns: "ns" })]).groups(),
          endpoints: () => [
            { ip: "127.0.0.1", port: backend.port },
            { ip: "127.0.0.2", port: backend.port },
          ],
          certificateFor: () => undefined,
          wildcardCertificateFor: () => undefined,
          tlsHosts: { exact: [], wildcard: [] },
        }),
        metrics,
        registry,
        logger: createLogger("request-metrics-test", "silent"),
      });
      plane.enable();
      await plane.settled();
      const web = { ingress: "web", namespace: "ns", service: "a" };
      for (let i = 0; i < 20; i++) assert.equal((await send(httpPort, "a.example")).status, 200);
      for (let i = 0; i < 3; i++) assert.equal((await send(httpPort, "unknown.example")).status, 404);
      // A reload at once, before the workers' next flush: the old worker's counts must not be lost.
      paths = [...paths, { path: "/other", service: "a" }];
      plane.schedule();
      await plane.settled();
      for (let i = 0; i < 7; i++) assert.equal((await send(httpPort, "a.example", { path: "/other" })).status, 200);
      await plane.settleRequestMetrics();
      assert.equal(await sample(metrics.requests, { ...web, status: "200" }), 27);
      assert.equal(await sample(metrics.requests, { ingress: "", namespace: "", service: "", status: "404" }), 3, "requests no Ingress routes have empty labels");
      assert.equal(await sample(metrics.requestDuration, web, "ingress_controller_request_duration_seconds_count"), 27);
      assert.equal(await sample(metrics.requestDuration, { ...web, le: "+Inf" }, "ingress_controller_request_duration_seconds_bucket"), 27);
      const refused = await sample(metrics.connectFailures, { namespace: "ns", service: "a" });
      assert.ok(refused >= 5 && refused <= 27, `round-robin met the refusing endpoint about every other request (${refused})`);
      assert.ok(backend.requests() >= 27);
      assert.equal(await sample(metrics.connectFailures, { namespace: "", service: "" }), 0, "an unrouted request tried no endpoint");
      // Read again: nothing is counted twice.
      await plane.settleRequestMetrics();
      assert.equal(await sample(metrics.requests, { ...web, status: "200" }), 27);
      assert.equal(await sample(metrics.connectFailures, { namespace: "ns", service: "a" }), refused);
    } finally {
      await plane?.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
}
