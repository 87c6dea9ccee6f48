// kpctl's own errors and how every failure is worded on stderr (kubectl's "Error from server (Reason): …").
import { isApiError, STATUS_METADATA_KEY } from "@kubeplane/api";

/** A failure kpctl detects itself (bad manifest, unknown kind, missing context): printed as `error: …`. */
export class KpctlError extends Error {
  override readonly name = "KpctlError";
  readonly code: string;

  constructor(message: string, code = "EKPCTL", options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** True when the call never reached an apiserver (no Status came back, the channel was unavailable). */
export function isConnectionFailure(err: unknown): boolean {
  if (!isApiError(err) || err.reason !== "ServiceUnavailable") return false;
  const grpc = err.cause as { code?: number; metadata?: { get(key: string): unknown[] } } | undefined;
  return grpc?.code === 14 && !(grpc.metadata?.get(STATUS_METADATA_KEY).length ?? 0);
}

/** The line kubectl would print for an error, without the trailing newline. */
export function errorLine(err: unknown, server: string): string {
  if (isConnectionFailure(err)) {
    const details = (err as { message: string }).message.replace(/\.?\s*Resolution note:.*$/s, "");
    return `Unable to connect to the server ${server}: ${details}`;
  }
  if (isApiError(err)) return `Error from server (${err.reason || "Unknown"}): ${err.status.message || err.message}`;
  if (err instanceof Error) return `error: ${err.message}`;
  return `error: ${String(err)}`;
}
