// Server warnings (Kubernetes' `Warning: 299 - "text"` headers) read from the apiserver's response metadata.
import { InterceptingCall, type Interceptor, type Metadata } from "@grpc/grpc-js";

/** The response metadata key the apiserver sends warnings under, one value per warning. */
export const WARNING_METADATA_KEY = "warning";

/** The text of a `Warning` header value (`299 - "text"`), or undefined when it is not that shape. */
export function parseWarning(value: string): string | undefined {
  const m = /^\d{3}\s+\S+\s+"((?:[^"\\]|\\.)*)"/.exec(value.trim());
  return m ? m[1]!.replace(/\\(.)/g, "$1") : undefined;
}

function warningsIn(metadata: Metadata | undefined): string[] {
  return (metadata?.get(WARNING_METADATA_KEY) ?? []).flatMap((v) => parseWarning(String(v)) ?? []);
}

/**
 * A grpc-js client interceptor that hands every warning of a call's response (header metadata, or
 * the trailers of a failed call) to `onWarning`, once each, in the order sent — as kubectl prints
 * `Warning: …` for each `Warning` header.
 */
export function warningInterceptor(onWarning: (text: string) => void): Interceptor {
  return (options, nextCall) =>
    new InterceptingCall(nextCall(options), {
      start: (metadata, listener, next) => {
        const seen = new Set<string>();
        const report = (md: Metadata | undefined): void => {
          for (const w of warningsIn(md)) {
            if (seen.has(w)) continue;
            seen.add(w);
            onWarning(w);
          }
        };
        next(metadata, {
          onReceiveMetadata: (md, nextMetadata) => {
            report(md);
            nextMetadata(md);
          },
          onReceiveStatus: (status, nextStatus) => {
            report(status.metadata);
            nextStatus(status);
          },
        });
      },
    });
}
