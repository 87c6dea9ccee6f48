// The error a CRI call rejects with: the runtime's gRPC status code, the RPC, and the grpc-js error as cause.
import { status } from "@grpc/grpc-js";

/**
 * Thrown by every CriRuntimeService / CriImageService method when the runtime answers with a gRPC
 * error or the call's deadline passes (code DEADLINE_EXCEEDED) or the socket is unreachable
 * (UNAVAILABLE). `code` is the gRPC status code, `method` the CRI RPC (e.g. "RunPodSandbox").
 */
export class CriError extends Error {
  override readonly name = "CriError";
  readonly code: status;
  readonly method: string;
  constructor(method: string, code: status, details: string, options?: ErrorOptions) {
    super(`CRI ${method} failed (${status[code] ?? code}): ${details}`, options);
    this.code = code;
    this.method = method;
  }
}

/** True for a CriError saying the sandbox, container or image does not exist. */
export function isCriNotFound(error: unknown): boolean {
  return error instanceof CriError && error.code === status.NOT_FOUND;
}

/** True for a CriError from a call that ran out of time. */
export function isCriDeadlineExceeded(error: unknown): boolean {
  return error instanceof CriError && error.code === status.DEADLINE_EXCEEDED;
}
