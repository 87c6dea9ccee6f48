// WriteTraces: a write's trace reaches the publish span whichever comes first, etcd's watch event or the txn's answer.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { context, propagation, trace, type Context } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import type { EtcdStore } from "@kubeplane/storage";
import { WriteTraces, traceWrites } from "./write-traces.js";

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const contextManager = new AsyncLocalStorageContextManager();
before(() => {
  context.setGlobalContextManager(contextManager.enable());
  trace.setGlobalTracerProvider(provider);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
});
after(async () => {
  await provider.shutdown();
  trace.disable();
  context.disable();
  propagation.disable();
});

/** A store whose create answers `revision` once `answer` is called, so a test orders the txn's answer and the watch event. */
function fakeStore(revision: number): { store: EtcdStore; answer: () => void; reads: () => number } {
  let answer = (): void => undefined;
  let reads = 0;
  const store = {
    create: () => new Promise<number>((resolve) => (answer = () => resolve(revision))),
    get: () => {
      reads++;
      return Promise.resolve(undefined);
    },
  } as unknown as EtcdStore;
  return { store, answer: () => answer(), reads: () => reads };
}

async function inRequest<T>(fn: (ctx: Context) => Promise<T>): Promise<{ result: T; traceId: string }> {
  const span = trace.getTracer("test").startSpan("request");
  const ctx = trace.setSpan(context.active(), span);
  const result = await context.with(ctx, () => fn(ctx));
  span.end();
  return { result, traceId: span.spanContext().traceId };
}

const parentOf = (traceparent: string): { traceId: string; spanId: string } => {
  const [, traceId, spanId] = traceparent.split("-");
  return { traceId: traceId!, spanId: spanId! };
};

for (const watchFirst of [false, true]) {
  test(`the publish span is the etcd txn span's child (${watchFirst ? "the watch event before the txn's answer" : "the txn's answer first"})`, async () => {
    exporter.reset();
    const traces = new WriteTraces();
    const fake = fakeStore(42);
    const store = traceWrites(fake.store, traces);
    let traceparent: string | undefined;
    const { traceId } = await inRequest(async () => {
      const created = store.create("/registry/pods/default/a", new Uint8Array());
      if (watchFirst) traceparent = traces.publishing({ key: "/registry/pods/default/a", resourceVersion: 42 });
      fake.answer();
      assert.equal(await created, 42);
      if (!watchFirst) traceparent = traces.publishing({ key: "/registry/pods/default/a", resourceVersion: 42 });
    });
    traces.published(42);
    assert.ok(traceparent, "a traceparent for the change");
    const spans = exporter.getFinishedSpans();
    const txn = spans.find((s) => s.name === "etcd txn create")!;
    const publish = spans.find((s) => s.name === "watch publish")!;
    assert.equal(txn.spanContext().traceId, traceId);
    assert.equal(publish.parentSpanContext?.spanId, txn.spanContext().spanId);
    assert.deepEqual(parentOf(traceparent), { traceId, spanId: publish.spanContext().spanId });
    assert.equal(traces.publishing({ key: "/registry/pods/default/a", resourceVersion: 42 }), undefined, "one publish span per change");
  });
}

test("writes outside a trace, reads and unknown changes get no span and no traceparent", async () => {
  exporter.reset();
  const traces = new WriteTraces();
  const fake = fakeStore(7);
  const store = traceWrites(fake.store, traces);
  const created = store.create("/registry/pods/default/b", new Uint8Array());
  fake.answer();
  await created;
  await inRequest(() => store.get("/registry/pods/default/b"));
  assert.equal(fake.reads(), 1);
  assert.equal(traces.publishing({ key: "/registry/pods/default/b", resourceVersion: 7 }), undefined);
  assert.deepEqual(exporter.getFinishedSpans().map((s) => s.name), ["request"]);
});
