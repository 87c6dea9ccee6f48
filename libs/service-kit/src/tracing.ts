// OpenTelemetry tracing for a process: SDK start-up and W3C trace context in gRPC metadata.
import { context, propagation, type Context, type TextMapGetter, type TextMapSetter } from "@opentelemetry/api";
import type { Metadata } from "@grpc/grpc-js";
import { NodeSDK } from "@opentelemetry/sdk-node";
import { BatchSpanProcessor, NoopSpanProcessor, type SpanProcessor } from "@opentelemetry/sdk-trace-base";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-grpc";

export interface TracingOptions {
  serviceName: string;
  /**
   * Where finished spans go. Default: an OTLP/gRPC exporter when OTEL_EXPORTER_OTLP_ENDPOINT
   * (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set, otherwise spans are recorded but not exported.
   */
  spanProcessors?: SpanProcessor[];
}

let sdk: NodeSDK | undefined;

/**
 * Starts tracing for this process. The first call wins: tracing is process-wide, so services
 * started in one process (tests, the all-in-one dev mode) share it. Returns whether it started.
 */
export function startTracing(options: TracingOptions): boolean {
  if (sdk) return false;
  const env = process.env;
  const exportOtlp = Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
  const spanProcessors =
    options.spanProcessors ?? (exportOtlp ? [new BatchSpanProcessor(new OTLPTraceExporter())] : [new NoopSpanProcessor()]);
  sdk = new NodeSDK({ serviceName: options.serviceName, spanProcessors, instrumentations: [], autoDetectResources: false });
  sdk.start();
  return true;
}

/** Flushes and stops tracing (at process exit). */
export async function stopTracing(): Promise<void> {
  const current = sdk;
  sdk = undefined;
  await current?.shutdown();
}

const metadataGetter: TextMapGetter<Metadata> = {
  keys: (carrier) => Object.keys(carrier.getMap()),
  get: (carrier, key) => {
    const values = carrier.get(key);
    return values.length === 0 ? undefined : values.map(String);
  },
};
const metadataSetter: TextMapSetter<Metadata> = {
  set: (carrier, key, value) => carrier.set(key, value),
};

/** The trace context carried by incoming gRPC metadata (W3C traceparent/tracestate). */
export function extractContext(metadata: Metadata, parent: Context = context.active()): Context {
  return propagation.extract(parent, metadata, metadataGetter);
}

/** Writes the trace context of `ctx` into outgoing gRPC metadata. */
export function injectContext(metadata: Metadata, ctx: Context = context.active()): void {
  propagation.inject(ctx, metadata, metadataSetter);
}
