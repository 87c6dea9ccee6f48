// W3C trace context for the client side: a CLIENT span per apiserver call that carries the caller's trace, and running code in a trace received with a watch event.
import { InterceptingCall, type Interceptor, type Metadata, type StatusObject } from "@grpc/grpc-js";
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, context, propagation, trace, type Context } from "@opentelemetry/api";

const tracer = trace.getTracer("@kubeplane/client");

const metadataSetter = { set: (carrier: Metadata, key: string, value: string) => carrier.set(key, value) };

/**
 * A grpc-js client interceptor: each call gets a CLIENT span, child of the active context, and
 * sends it as `traceparent` metadata so the apiserver's spans join the caller's trace. Without an
 * OpenTelemetry SDK in the process the API's no-op tracer makes this a context copy, no more.
 */
export function tracingInterceptor(): Interceptor {
  return (options, nextCall) => {
    const path = options.method_definition.path;
    const span = tracer.startSpan(path.slice(1), { kind: SpanKind.CLIENT, attributes: { "rpc.system": "grpc", "rpc.method": path } });
    const ctx = trace.setSpan(context.active(), span);
    return new InterceptingCall(nextCall(options), {
      start: (metadata, listener, next) => {
        propagation.inject(ctx, metadata, metadataSetter);
        next(metadata, {
          onReceiveStatus: (status: StatusObject, nextStatus) => {
            span.setAttribute("rpc.grpc.status_code", status.code);
            if (status.code !== 0) span.setStatus({ code: SpanStatusCode.ERROR, message: status.details });
            span.end();
            nextStatus(status);
          },
        });
      },
    });
  };
}

/** The context a W3C `traceparent` value names (the root context without one). */
export function contextFromTraceparent(traceparent: string | undefined): Context {
  return traceparent ? propagation.extract(ROOT_CONTEXT, { traceparent }) : ROOT_CONTEXT;
}

/** Runs `fn` in the trace `traceparent` names, or as it is without one. */
export function withTraceparent<T>(traceparent: string | undefined, fn: () => T): T {
  return traceparent ? context.with(contextFromTraceparent(traceparent), fn) : fn();
}
