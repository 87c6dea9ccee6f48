// gRPC interceptors: server-side metrics and spans, client-side spans and trace propagation.
import {
  InterceptingCall,
  type Metadata,
  ServerInterceptingCall,
  status,
  type Interceptor,
  type ServerInterceptor,
  type StatusObject,
} from "@grpc/grpc-js";
import { SpanKind, SpanStatusCode, context, trace, type Span } from "@opentelemetry/api";
import { grpcCodeName, splitMethodPath } from "./grpc-codes.js";
import type { GrpcServerMetrics } from "./metrics.js";
import { extractContext, injectContext } from "./tracing.js";

const tracerName = "@kubeplane/service-kit";

function callType(requestStream: boolean, responseStream: boolean): string {
  if (requestStream) return responseStream ? "bidi_stream" : "client_stream";
  return responseStream ? "server_stream" : "unary";
}

function endSpan(span: Span, code: number, details?: string): void {
  span.setAttribute("rpc.grpc.status_code", code);
  if (code !== status.OK) span.setStatus({ code: SpanStatusCode.ERROR, message: details ?? grpcCodeName(code) });
  span.end();
}

/** One method's metric children; `handled` makes the child of a status code on its first use. */
interface MethodMetrics {
  started: { inc(): void };
  handlingSeconds: { observe(seconds: number): void };
  handled(code: number): { inc(): void };
}

function methodMetrics(metrics: GrpcServerMetrics, labels: { grpc_type: string; grpc_service: string; grpc_method: string }): MethodMetrics {
  const handled = new Map<number, { inc(): void }>();
  return {
    started: metrics.started.labels(labels),
    handlingSeconds: metrics.handlingSeconds.labels(labels),
    handled(code) {
      let child = handled.get(code);
      if (!child) {
        child = metrics.handled.labels({ ...labels, grpc_code: grpcCodeName(code) });
        handled.set(code, child);
      }
      return child;
    },
  };
}

/**
 * Counts and times every call and wraps it in a SERVER span whose parent is the caller's trace
 * context. The span's own context replaces the incoming traceparent, so handlers (run under
 * `extractContext(call.metadata)` by Service.addService) see the server span as their parent.
 */
export function serverInterceptor(metrics: GrpcServerMetrics): ServerInterceptor {
  const tracer = trace.getTracer(tracerName);
  // The metric children of each method, made once: a call then costs no label hashing.
  const byPath = new Map<string, MethodMetrics>();
  return (descriptor, call) => {
    const { service, method } = splitMethodPath(descriptor.path);
    let m = byPath.get(descriptor.path);
    if (!m) {
      m = methodMetrics(metrics, { grpc_type: callType(descriptor.requestStream, descriptor.responseStream), grpc_service: service, grpc_method: method });
      byPath.set(descriptor.path, m);
    }
    const children = m;
    const started = process.hrtime.bigint();
    let span: Span | undefined;
    let done = false;
    const finish = (code: number, details?: string): void => {
      if (done) return;
      done = true;
      children.handled(code).inc();
      children.handlingSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
      if (span) endSpan(span, code, details);
    };
    children.started.inc();
    return new ServerInterceptingCall(call, {
      start: (next) => {
        next({
          onReceiveMetadata: (metadata, nextMetadata) => {
            const parent = extractContext(metadata);
            span = tracer.startSpan(
              `${service}/${method}`,
              { kind: SpanKind.SERVER, attributes: { "rpc.system": "grpc", "rpc.service": service, "rpc.method": method } },
              parent,
            );
            metadata.remove("traceparent");
            metadata.remove("tracestate");
            injectContext(metadata, trace.setSpan(parent, span));
            nextMetadata(metadata);
          },
          onCancel: () => finish(status.CANCELLED, "cancelled by the client"),
        });
      },
      sendStatus: (statusObject, next) => {
        finish(statusObject.code, statusObject.details);
        next(statusObject);
      },
    });
  };
}

/**
 * A client interceptor that wraps each call in a CLIENT span and sends the trace context in the
 * call's metadata, so the server's spans join the caller's trace.
 */
export function clientTracingInterceptor(): Interceptor {
  const tracer = trace.getTracer(tracerName);
  return (options, nextCall) => {
    const { service, method } = splitMethodPath(options.method_definition.path);
    const span = tracer.startSpan(`${service}/${method}`, {
      kind: SpanKind.CLIENT,
      attributes: { "rpc.system": "grpc", "rpc.service": service, "rpc.method": method },
    });
    return new InterceptingCall(nextCall(options), {
      start: (metadata: Metadata, listener, next) => {
        injectContext(metadata, trace.setSpan(context.active(), span));
        next(metadata, {
          onReceiveStatus: (statusObject: StatusObject, nextStatus) => {
            endSpan(span, statusObject.code, statusObject.details);
            nextStatus(statusObject);
          },
        });
      },
    });
  };
}
