// Tests of probe actions against real local HTTP/TCP servers on 127.0.0.1 and a fake exec runtime.

import assert from "node:assert/strict";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { createServer as createTcpServer, type AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import { coreV1Pod } from "@kubeplane/api";
import type { ExecSyncResult, RuntimeService } from "../runtime/types.js";
import { runAction, type ActionContext } from "./action.js";

let server: Server;
let port = 0;
let lastHeaders: IncomingHttpHeaders = {};
const hanging = new Set<() => void>();

before(async () => {
  server = createServer((req, res) => {
    lastHeaders = req.headers;
    if (req.url === "/healthz") return void res.end("ok");
    if (req.url === "/moved") return void res.writeHead(302, { location: "/elsewhere" }).end();
    if (req.url === "/hang") return void hanging.add(() => res.end());
    res.writeHead(500).end("boom");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});
after(async () => {
  for (const release of hanging) release();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const noExec: Pick<RuntimeService, "execSync"> = { execSync: () => Promise.reject(new Error("unexpected exec")) };
const ctx = (extra: Partial<ActionContext> = {}): ActionContext => ({ runtime: noExec, containerId: "c1", podIp: "127.0.0.1", timeoutMs: 1000, ...extra });
const get = (path: string, fields: Partial<coreV1Pod.HTTPGetAction> = {}) => coreV1Pod.HTTPGetAction.fromPartial({ path, port: String(port), ...fields });

test("httpGet succeeds on 2xx and 3xx with the body as output, sending the kubelet's headers", async () => {
  assert.deepEqual(await runAction(get("/healthz", { httpHeaders: [{ name: "X-Probe", value: "yes" }] }), ctx()), { result: "success", output: "ok" });
  assert.equal(lastHeaders["x-probe"], "yes");
  assert.match(lastHeaders["user-agent"] ?? "", /^kube-probe\//);
  assert.equal((await runAction(get("moved"), ctx())).result, "success");
});

test("httpGet fails on a 500 and on a response slower than the timeout", async () => {
  assert.deepEqual(await runAction(get("/error"), ctx()), { result: "failure", output: "HTTP probe failed with statuscode: 500" });
  const slow = await runAction(get("/hang"), ctx({ timeoutMs: 100 }));
  assert.equal(slow.result, "failure");
  assert.match(slow.output, /context deadline exceeded/);
});

test("httpGet resolves a named port from the container's ports, and an unknown name fails", async () => {
  const ports = [coreV1Pod.ContainerPort.fromPartial({ name: "http", containerPort: port })];
  assert.equal((await runAction(get("/healthz", { port: "http" }), ctx({ ports }))).result, "success");
  assert.deepEqual(await runAction(get("/healthz", { port: "metrics" }), ctx({ ports })), { result: "failure", output: "couldn't find port: metrics in [http]" });
});

test("tcpSocket succeeds when a connection opens and fails on a closed port", async () => {
  const open = createTcpServer((s) => s.end());
  await new Promise<void>((resolve) => open.listen(0, "127.0.0.1", resolve));
  const openPort = (open.address() as AddressInfo).port;
  try {
    assert.deepEqual(await runAction(coreV1Pod.TCPSocketAction.fromPartial({ port: String(openPort) }), ctx()), { result: "success", output: "" });
  } finally {
    await new Promise((resolve) => open.close(resolve));
  }
  const closed = await runAction(coreV1Pod.TCPSocketAction.fromPartial({ port: String(openPort) }), ctx());
  assert.deepEqual(closed, { result: "failure", output: `dial tcp 127.0.0.1:${openPort}: connect: connection refused` });
});

test("exec runs through the runtime: exit 0 succeeds, others fail, output is stdout+stderr, a slow exec times out", async () => {
  const calls: [string, string[], number][] = [];
  const runtime: Pick<RuntimeService, "execSync"> = {
    execSync(containerId, cmd, timeoutSeconds): Promise<ExecSyncResult> {
      calls.push([containerId, cmd, timeoutSeconds]);
      if (cmd[0] === "hang") return new Promise(() => undefined);
      return Promise.resolve({ stdout: Buffer.from("out;"), stderr: Buffer.from("err"), exitCode: cmd[0] === "true" ? 0 : 1 });
    },
  };
  assert.deepEqual(await runAction({ command: ["true"] }, ctx({ runtime, timeoutMs: 2500 })), { result: "success", output: "out;err" });
  assert.deepEqual(calls, [["c1", ["true"], 3]]);
  assert.equal((await runAction({ command: ["false"] }, ctx({ runtime }))).result, "failure");
  assert.deepEqual(await runAction({ command: ["hang"] }, ctx({ runtime, timeoutMs: 50 })), { result: "failure", output: 'command "hang" timed out' });
});

test("a LifecycleHandler runs whichever action is set, and aborting rejects", async () => {
  const handler = coreV1Pod.LifecycleHandler.fromPartial({ httpGet: get("/healthz") });
  assert.equal((await runAction(handler, ctx())).result, "success");
  assert.deepEqual(await runAction(coreV1Pod.LifecycleHandler.fromPartial({}), ctx()), { result: "failure", output: "missing probe handler" });
  const abort = new AbortController();
  const pending = runAction(get("/hang"), ctx({ signal: abort.signal, timeoutMs: 10_000 }));
  abort.abort(new Error("pod removed"));
  await assert.rejects(pending, { message: "pod removed" });
});
