// Integration tests of the service kit: health, metrics, tracing, reflection, graceful SIGTERM, bad config.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import { makeClientConstructor, Metadata, status, type ServiceError } from "@grpc/grpc-js";
import { trace } from "@opentelemetry/api";
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { service as healthService } from "grpc-health-check";
import { testingV1 } from "@kubeplane/api";
import { grpcCredentials, httpProbe, testPki, testPkiNow, waitFor, type ProbeResponse } from "@kubeplane/testing";
import { clientTracingInterceptor, loadConfig, startTracing, type Service, type ServiceAddresses } from "@kubeplane/service-kit";
import { createEchoService, echoConfig } from "./fixtures/echo-service.js";

const spans = new InMemorySpanExporter();
startTracing({ serviceName: "service-kit-test", spanProcessors: [new SimpleSpanProcessor(spans)] });

type EchoClient = InstanceType<typeof testingV1.EchoServiceClient>;
const echo = (client: EchoClient, request: Partial<testingV1.EchoRequest>, metadata = new Metadata()) =>
  new Promise<testingV1.EchoResponse>((resolve, reject) =>
    client.echo(testingV1.EchoRequest.fromPartial(request), metadata, (err, res) => (err ? reject(err) : resolve(res))),
  );

await testPki();

/** The echo service's serving certificate and client CA (any component certificate of the test PKI). */
function tlsArgs(): string[] {
  const files = testPkiNow().files("scheduler");
  return [`--tls-cert-file=${files.certFile}`, `--tls-key-file=${files.keyFile}`, `--tls-client-ca-file=${files.caFile}`];
}

/** GETs an anonymous endpoint of the HTTPS listener, trusting the cluster CA. */
function get(url: string): Promise<ProbeResponse> {
  return httpProbe("GET", url, undefined, 2_000, { caFile: testPkiNow().caFile });
}

async function metricValue(httpUrl: string, pattern: RegExp): Promise<number> {
  const body = (await httpProbe("GET", `${httpUrl}/metrics`, undefined, 5_000, testPkiNow().files("prometheus"))).text;
  const line = body.split("\n").find((l) => pattern.test(l));
  return line ? Number(line.slice(line.lastIndexOf(" ") + 1)) : 0;
}

describe("a service started in-process", () => {
  let service: Service;
  let at: ServiceAddresses;
  let client: EchoClient;

  before(async () => {
    service = createEchoService(loadConfig(echoConfig, { argv: ["--log-level=silent", ...tlsArgs()], env: {}, envPrefix: "KP_ECHO" }));
    at = await service.start();
    client = new testingV1.EchoServiceClient(at.grpcAddress, grpcCredentials(), {
      interceptors: [clientTracingInterceptor()],
    });
  });
  after(async () => {
    client.close();
    await service.stop();
  });

  async function healthOf(name: string): Promise<string> {
    const Health = makeClientConstructor(healthService, "grpc.health.v1.Health");
    const health = new Health(at.grpcAddress, grpcCredentials()) as unknown as {
      check(req: { service: string }, cb: (err: ServiceError | null, res: { status: string }) => void): void;
      close(): void;
    };
    try {
      const res = await new Promise<{ status: string }>((resolve, reject) =>
        health.check({ service: name }, (err, r) => (err ? reject(err) : resolve(r))),
      );
      return res.status;
    } finally {
      health.close();
    }
  }

  test("gRPC health reports SERVING for the server and for each registered service", async () => {
    for (const name of ["", "kubeplane.testing.v1.EchoService"]) {
      assert.equal(await healthOf(name), "SERVING", `health of "${name}"`);
    }
    const ready = await get(`${at.httpUrl}/readyz`);
    assert.equal(ready.status, 200);
    assert.equal((await get(`${at.httpUrl}/healthz`)).status, 200);
  });

  test("/metrics counts calls by method and status code, and times them", async () => {
    const ok = /^grpc_server_handled_total\{.*grpc_method="Echo".*grpc_code="OK"/;
    const notFound = /^grpc_server_handled_total\{.*grpc_method="Echo".*grpc_code="NotFound"/;
    const okBefore = await metricValue(at.httpUrl, ok);
    const nfBefore = await metricValue(at.httpUrl, notFound);
    for (let i = 0; i < 3; i++) await echo(client, { message: `m${i}` });
    await assert.rejects(echo(client, { message: "x", failCode: status.NOT_FOUND }), (err: ServiceError) => err.code === status.NOT_FOUND);
    assert.equal((await metricValue(at.httpUrl, ok)) - okBefore, 3);
    assert.equal((await metricValue(at.httpUrl, notFound)) - nfBefore, 1);
    assert.ok((await metricValue(at.httpUrl, /^grpc_server_handling_seconds_count\{.*grpc_method="Echo"/)) >= 4);
    assert.ok((await metricValue(at.httpUrl, /^process_cpu_seconds_total/)) > 0, "process metrics are exported");
  });

  test("each call produces a server span in the caller's trace, and the handler runs in it", async () => {
    spans.reset();
    const tracer = trace.getTracer("test");
    const { callerTraceId, res } = await tracer.startActiveSpan("caller", async (span) => {
      const r = await echo(client, { message: "traced" });
      span.end();
      return { callerTraceId: span.spanContext().traceId, res: r };
    });
    const server = await waitFor(() =>
      spans.getFinishedSpans().find((s) => s.name === "kubeplane.testing.v1.EchoService/Echo" && s.kind === 1),
    );
    const clientSpan = spans.getFinishedSpans().find((s) => s.name === "kubeplane.testing.v1.EchoService/Echo" && s.kind === 2);
    assert.equal(server.spanContext().traceId, callerTraceId);
    assert.ok(clientSpan, "the client interceptor records a CLIENT span");
    assert.equal(server.parentSpanContext?.spanId, clientSpan.spanContext().spanId);
    assert.equal(res.traceId, callerTraceId, "the handler sees the caller's trace");
    assert.equal(server.attributes["rpc.grpc.status_code"], 0);
  });

  test("a failing readiness check makes /readyz 503 naming it and gRPC health NOT_SERVING, until it passes", async () => {
    let ready = false;
    service.addReadinessCheck("storage", () => ready);
    const failing = await get(`${at.httpUrl}/readyz`);
    assert.equal(failing.status, 503);
    assert.match(failing.text, /\[-\]storage/);
    await service.refreshHealth();
    assert.equal(await healthOf(""), "NOT_SERVING");
    assert.equal(await healthOf("kubeplane.testing.v1.EchoService"), "NOT_SERVING");
    ready = true;
    await service.refreshHealth();
    assert.equal(await healthOf(""), "SERVING");
    const passing = await get(`${at.httpUrl}/readyz`);
    assert.equal(passing.status, 200);
    assert.match(passing.text, /\[\+\]storage ok/);
  });

  test("a call made with only a traceparent header joins that trace", async () => {
    spans.reset();
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    const md = new Metadata();
    md.set("traceparent", `00-${traceId}-00f067aa0ba902b7-01`);
    const plain = new testingV1.EchoServiceClient(at.grpcAddress, grpcCredentials());
    try {
      const res = await echo(plain, { message: "w3c" }, md);
      assert.equal(res.traceId, traceId);
    } finally {
      plain.close();
    }
    const server = await waitFor(() => spans.getFinishedSpans().find((s) => s.kind === 1));
    assert.equal(server.spanContext().traceId, traceId);
    assert.equal(server.parentSpanContext?.spanId, "00f067aa0ba902b7");
  });
});

const fixtureMain = fileURLToPath(new URL("./fixtures/echo-main.ts", import.meta.url));

interface Child {
  proc: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number | null>;
}

function startChild(args: string[], env: NodeJS.ProcessEnv = {}): Child {
  const proc = spawn(process.execPath, ["--conditions=source", "--import", "tsx", fixtureMain, ...args], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  proc.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  proc.stderr?.on("data", (d: Buffer) => (err += d.toString()));
  const exit = once(proc, "exit").then(([code]) => code as number | null);
  return { proc, stdout: () => out, stderr: () => err, exit };
}

function startedAt(child: Child): ServiceAddresses | undefined {
  for (const line of child.stdout().split("\n")) {
    if (!line.startsWith("{")) continue;
    const entry = JSON.parse(line) as { msg?: string } & ServiceAddresses;
    if (entry.msg === "service started") return entry;
  }
  return undefined;
}

describe("a service run as a process", () => {
  test("SIGTERM while a call is in flight lets the call finish, refuses new calls and exits 0", async (t) => {
    const child = startChild(tlsArgs());
    t.after(() => child.proc.kill("SIGKILL"));
    const at = await waitFor(() => startedAt(child), { timeoutMs: 20_000, message: "echo service to start" });
    const client = new testingV1.EchoServiceClient(at.grpcAddress, grpcCredentials());
    t.after(() => client.close());
    const inFlight = echo(client, { message: "slow", delayMs: 1500 });
    await waitFor(async () => (await metricValue(at.httpUrl, /^grpc_server_started_total\{.*grpc_method="Echo"/)) >= 1, {
      message: "the call to reach the server",
    });
    child.proc.kill("SIGTERM");
    await waitFor(async () => (await get(`${at.httpUrl}/readyz`)).status === 503, { message: "readyz to turn 503" });
    const res = await inFlight;
    assert.equal(res.message, "slow");
    assert.equal(await child.exit, 0, child.stderr());
    assert.match(child.stdout(), /"msg":"service stopped"/);
  });

  test("a call still running after the grace period is cancelled and the process exits 0", async (t) => {
    const child = startChild(["--shutdown-grace-period=200ms", ...tlsArgs()]);
    t.after(() => child.proc.kill("SIGKILL"));
    const at = await waitFor(() => startedAt(child), { timeoutMs: 20_000, message: "echo service to start" });
    const client = new testingV1.EchoServiceClient(at.grpcAddress, grpcCredentials());
    t.after(() => client.close());
    const inFlight = echo(client, { message: "too slow", delayMs: 30_000 });
    await waitFor(async () => (await metricValue(at.httpUrl, /^grpc_server_started_total\{.*grpc_method="Echo"/)) >= 1);
    child.proc.kill("SIGTERM");
    await assert.rejects(inFlight, (err: ServiceError) => err.code === status.CANCELLED || err.code === status.UNAVAILABLE);
    assert.equal(await child.exit, 0);
  });

  test("a bad flag value exits 2 naming the key", async () => {
    const child = startChild(["--grpc-listen", "nowhere"]);
    assert.equal(await child.exit, 2);
    assert.match(child.stderr(), /"grpcListen".*HOST:PORT/);
  });

  test("a bad environment value exits 2 naming the key", async () => {
    const child = startChild([], { KP_ECHO_SHUTDOWN_GRACE_PERIOD: "forever" });
    assert.equal(await child.exit, 2);
    assert.match(child.stderr(), /"shutdownGracePeriod" \(from env\)/);
  });
});
