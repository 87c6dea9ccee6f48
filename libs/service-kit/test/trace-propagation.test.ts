// A process with nowhere to export spans records none but still carries the caller's trace context.
import assert from "node:assert/strict";
import { setImmediate as tick } from "node:timers/promises";
import { describe, test } from "node:test";
import { Metadata } from "@grpc/grpc-js";
import { context, trace } from "@opentelemetry/api";
import { extractContext, injectContext, startTracing } from "@kubeplane/service-kit";

delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
delete process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;

describe("tracing without an exporter", () => {
  test("spans are not recorded, and the incoming trace id and flags reach outgoing metadata across awaits", async () => {
    assert.equal(startTracing({ serviceName: "propagation-test" }), true);
    assert.equal(startTracing({ serviceName: "second" }), false, "the first call wins");
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    const incoming = new Metadata();
    incoming.set("traceparent", `00-${traceId}-00f067aa0ba902b7-01`);
    const outgoing = new Metadata();
    await context.with(extractContext(incoming), async () => {
      const span = trace.getTracer("test").startSpan("server");
      assert.equal(span.isRecording(), false);
      await context.with(trace.setSpan(context.active(), span), async () => {
        await tick();
        injectContext(outgoing);
      });
      span.end();
    });
    const [header] = outgoing.get("traceparent");
    assert.match(String(header), new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    const none = new Metadata();
    injectContext(none);
    assert.deepEqual(none.get("traceparent"), [], "outside any call there is no trace to carry");
  });
});
