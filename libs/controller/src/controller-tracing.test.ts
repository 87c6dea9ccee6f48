// Reconcile spans: a key queued inside a trace is reconciled in a child span of it, and the reconcile runs in that span; an untraced key gets none.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { context, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { Registry } from "prom-client";
import { Controller, type Request } from "./controller.js";
import type { Logger } from "./logger.js";
import { controllerMetrics } from "./metrics.js";

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
before(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(provider);
});
after(async () => {
  await provider.shutdown();
  trace.disable();
  context.disable();
});

const quiet: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

test("a key queued in a trace is reconciled in a child span of it; an untraced key in none", async () => {
  const seen: Array<{ key: string; traceId: string | undefined }> = [];
  let done = (): void => undefined;
  const twoReconciles = new Promise<void>((resolve) => (done = resolve));
  const controller = new Controller({
    name: "widgets",
    workers: 1,
    metrics: controllerMetrics(new Registry()),
    logger: quiet,
    reconciler: {
      reconcile(req: Request) {
        seen.push({ key: `${req.namespace}/${req.name}`, traceId: trace.getActiveSpan()?.spanContext().traceId });
        if (seen.length === 2) done();
        return Promise.resolve();
      },
    },
  });
  const write = trace.getTracer("test").startSpan("the write");
  context.with(trace.setSpan(context.active(), write), () => controller.enqueueKey("default/traced"));
  write.end();
  controller.enqueueKey("default/untraced");
  const stop = new AbortController();
  const running = controller.start(stop.signal);
  await twoReconciles;
  stop.abort();
  await running;

  const writeCtx = write.spanContext();
  assert.deepEqual(seen, [
    { key: "default/traced", traceId: writeCtx.traceId },
    { key: "default/untraced", traceId: undefined },
  ]);
  const reconciles = exporter.getFinishedSpans().filter((s) => s.name === "reconcile widgets");
  assert.equal(reconciles.length, 1);
  assert.equal(reconciles[0]!.parentSpanContext?.spanId, writeCtx.spanId);
  assert.equal(reconciles[0]!.attributes["kubeplane.key"], "default/traced");
});
