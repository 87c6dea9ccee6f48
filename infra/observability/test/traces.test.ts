// One trace from `kpctl apply` through the apiserver, its etcd txn and NATS publish, to the controller's reconcile, received by an OTLP/gRPC receiver in the test.
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { Server, ServerCredentials, type sendUnaryData, type ServerUnaryCall } from "@grpc/grpc-js";
import protobuf from "protobufjs";
import { runKpctl, serviceEntry, startControlPlane, startServiceProcess, waitFor, type ControlPlane, type ServiceProcess } from "@kubeplane/testing";
import { kpctlCredentials } from "./support.js";

// The part of OTLP's trace protos (opentelemetry-proto, collector/trace/v1) the test reads; field numbers as upstream.
const otlp = protobuf.parse(`
syntax = "proto3";
package otlp;
message ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
message ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; }
message Resource { repeated KeyValue attributes = 1; }
message KeyValue { string key = 1; AnyValue value = 2; }
message AnyValue { oneof value { string string_value = 1; bool bool_value = 2; int64 int_value = 3; double double_value = 4; } }
message ScopeSpans { repeated Span spans = 2; }
message Span { bytes trace_id = 1; bytes span_id = 2; bytes parent_span_id = 4; string name = 5; int32 kind = 6; }
`).root;
const ExportRequest = otlp.lookupType("otlp.ExportTraceServiceRequest");

interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
}

interface DecodedRequest {
  resourceSpans?: Array<{
    resource?: { attributes?: Array<{ key: string; value?: { stringValue?: string } }> };
    scopeSpans?: Array<{ spans?: Array<{ traceId: Uint8Array; spanId: Uint8Array; parentSpanId?: Uint8Array; name: string; kind: number }> }>;
  }>;
}

const hex = (b: Uint8Array | undefined): string => Buffer.from(b ?? []).toString("hex");
const SPAN_KIND = { internal: 1, server: 2, client: 3, producer: 4 } as const;

/** A minimal OTLP/gRPC collector: TraceService/Export, every span kept in memory. */
async function startOtlpReceiver(): Promise<{ endpoint: string; spans: ReceivedSpan[]; stop(): Promise<void> }> {
  const spans: ReceivedSpan[] = [];
  const server = new Server();
  server.addService(
    {
      Export: {
        path: "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
        requestStream: false,
        responseStream: false,
        requestSerialize: (x: unknown) => x as Buffer,
        requestDeserialize: (b: Buffer) => ExportRequest.toObject(ExportRequest.decode(b), { defaults: false }) as DecodedRequest,
        responseSerialize: () => Buffer.alloc(0),
        responseDeserialize: (b: Buffer) => b,
      },
    },
    {
      Export: (call: ServerUnaryCall<DecodedRequest, Buffer>, callback: sendUnaryData<Buffer>) => {
        for (const rs of call.request.resourceSpans ?? []) {
          const service = rs.resource?.attributes?.find((a) => a.key === "service.name")?.value?.stringValue ?? "";
          for (const ss of rs.scopeSpans ?? []) {
            for (const s of ss.spans ?? []) {
              spans.push({ service, traceId: hex(s.traceId), spanId: hex(s.spanId), parentSpanId: hex(s.parentSpanId), name: s.name, kind: s.kind });
            }
          }
        }
        callback(null, Buffer.alloc(0));
      },
    },
  );
  const port = await new Promise<number>((resolve, reject) => server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
  return { endpoint: `http://127.0.0.1:${port}`, spans, stop: () => new Promise((resolve) => server.tryShutdown(() => resolve())) };
}

let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
let cp: ControlPlane;
let controllerManager: ServiceProcess;
let dir = "";
const savedEnv = { ...process.env };

before(async () => {
  receiver = await startOtlpReceiver();
  // Every process started from here on (apiserver, controller-manager, kpctl) exports its spans to the receiver, fast.
  Object.assign(process.env, { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_BSP_SCHEDULE_DELAY: "100" });
  cp = await startControlPlane();
  controllerManager = await startServiceProcess({
    entry: serviceEntry("controller-manager"),
    flags: { apiserver: cp.apiserver.grpcAddress, "nats-url": cp.nats.url, "leader-elect": "false", controllers: "deployment,replicaset" },
  });
  dir = await mkdtemp(join(tmpdir(), "kp-trace-"));
});

after(async () => {
  for (const key of ["OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_BSP_SCHEDULE_DELAY"]) {
    if (savedEnv[key] === undefined) delete process.env[key];
    else process.env[key] = savedEnv[key];
  }
  await controllerManager?.kill();
  await cp?.stop();
  await receiver?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test("kpctl apply → apiserver → etcd txn → watch publish on NATS → deployment reconcile is one trace, each span the child of the one before", async () => {
  const manifest = join(dir, "web.yaml");
  await writeFile(
    manifest,
    `apiVersion: apps/v1
kind: Deployment
metadata: { name: traced-web, namespace: default }
spec:
  replicas: 1
  selector: { matchLabels: { app: traced-web } }
  template:
    metadata: { labels: { app: traced-web } }
    spec: { containers: [{ name: web, image: docker.io/library/busybox:1.36 }] }
`,
  );
  const res = await runKpctl(cp.apiserver.grpcAddress, [...(await kpctlCredentials(cp)), "apply", "-f", manifest]);
  assert.equal(res.code, 0, res.stderr);

  const byId = (): Map<string, ReceivedSpan> => new Map(receiver.spans.map((s) => [s.spanId, s]));
  /** From the deployment controller's reconcile up its parents, while they are known. */
  const chainOf = (leaf: ReceivedSpan): ReceivedSpan[] => {
    const spans = byId();
    const chain = [leaf];
    for (let s = spans.get(leaf.parentSpanId); s; s = spans.get(s.parentSpanId)) chain.unshift(s);
    return chain;
  };
  const chain = await waitFor(
    () => {
      const root = receiver.spans.find((s) => s.service === "kpctl" && s.name.startsWith("kpctl apply"));
      if (!root) return undefined;
      const leaf = receiver.spans.find((s) => s.traceId === root.traceId && s.name === "reconcile deployment");
      if (!leaf) return undefined;
      const c = chainOf(leaf);
      return c[0]?.spanId === root.spanId ? c : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 200, message: "the deployment's reconcile span, linked up to kpctl's root span" },
  ).catch((err: unknown) => {
    const seen = receiver.spans.map((s) => `${s.service} ${s.name} ${s.traceId.slice(0, 8)} ${s.spanId.slice(0, 8)}<-${s.parentSpanId.slice(0, 8)}`);
    assert.fail(`${(err as Error).message}; spans received:\n  ${seen.join("\n  ")}`);
  });

  const steps = chain.map((s) => ({ service: s.service, name: s.name, kind: s.kind }));
  const at = (i: number): { service: string; name: string; kind: number } => steps[i]!;
  assert.equal(new Set(chain.map((s) => s.traceId)).size, 1, "one trace");
  assert.equal(steps.length, 6, JSON.stringify(steps));
  assert.match(at(0).name, /^kpctl apply/);
  assert.deepEqual([at(1).service, at(1).kind], ["kpctl", SPAN_KIND.client]);
  assert.deepEqual([at(2).service, at(2).kind, at(2).name], ["kubeplane-apiserver", SPAN_KIND.server, at(1).name], "the server span of kpctl's write call");
  assert.deepEqual([at(3).service, at(3).kind], ["kubeplane-apiserver", SPAN_KIND.client]);
  assert.match(at(3).name, /^etcd txn (create|update)$/);
  assert.deepEqual([at(4).service, at(4).kind, at(4).name], ["kubeplane-apiserver", SPAN_KIND.producer, "watch publish"]);
  assert.deepEqual([at(5).service, at(5).name], ["kubeplane-controller-manager", "reconcile deployment"]);

  // The reconcile's own writes continue the trace: its ReplicaSet create reaches the apiserver as a child.
  const reconcile = chain.at(-1)!;
  await waitFor(
    () => {
      const calls = receiver.spans.filter((s) => s.parentSpanId === reconcile.spanId && s.kind === SPAN_KIND.client);
      return calls.some((c) => receiver.spans.some((s) => s.parentSpanId === c.spanId && s.service === "kubeplane-apiserver" && s.kind === SPAN_KIND.server));
    },
    { timeoutMs: 15_000, intervalMs: 200, message: "an apiserver call made by the reconcile, in the same trace" },
  );
});
