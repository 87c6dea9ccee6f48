// The health-check node port servers: 200 with local endpoints, 503 without, opened and closed with the Services.
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { describe, test } from "node:test";
import { createLogger } from "@kubeplane/service-kit";
import { HealthCheckServers, healthCheckPorts } from "./healthcheck.js";
import { servicePort } from "../test/fixtures.js";

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

async function probe(port: number): Promise<{ status: number; body: unknown } | "refused"> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/healthz`);
    return { status: res.status, body: await res.json() };
  } catch {
    return "refused";
  }
}

async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const v = await fn();
    if (ok(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("health-check node ports", () => {
  test("counts distinct local endpoint addresses over a Service's ports", () => {
    const ep = { ip: "10.214.0.3", port: 8080 };
    const ports = healthCheckPorts([
      servicePort({ healthCheckNodePort: 32000, localEndpoints: [ep] }),
      servicePort({ id: "default/web/tcp/https", healthCheckNodePort: 32000, localEndpoints: [{ ...ep, port: 8443 }] }),
      servicePort({ id: "default/other/tcp/http", name: "other" }),
    ]);
    assert.deepEqual([...ports], [[32000, { namespace: "default", name: "web", localEndpoints: 1 }]]);
  });

  test("answers 200 with local endpoints, 503 without, and closes when the Service goes", async () => {
    const port = await freePort();
    const servers = new HealthCheckServers("127.0.0.1", createLogger("test", "silent"));
    try {
      servers.update(new Map([[port, { namespace: "ns", name: "lb", localEndpoints: 2 }]]));
      const up = await until(() => probe(port), (r) => r !== "refused");
      assert.deepEqual(up, { status: 200, body: { service: { namespace: "ns", name: "lb" }, localEndpoints: 2, serviceProxyHealthy: true } });
      servers.update(new Map([[port, { namespace: "ns", name: "lb", localEndpoints: 0 }]]));
      const down = await probe(port);
      assert.ok(down !== "refused" && down.status === 503, JSON.stringify(down));
      servers.update(new Map());
      assert.equal(await until(() => probe(port), (r) => r === "refused"), "refused");
      assert.deepEqual(servers.ports, []);
    } finally {
      await servers.close();
    }
  });
});
