// Turns a grpc-js unary call into a promise with a deadline, its errors into CriError.
import type { CallOptions, ClientUnaryCall, Metadata, ServiceError } from "@grpc/grpc-js";
import { status } from "@grpc/grpc-js";
import { CriError } from "./errors.js";

/** A generated client's unary method, as grpc-js shapes it (request, metadata, options, callback). */
export type UnaryMethod<Req, Res> = (
  request: Req,
  metadata: Metadata,
  options: Partial<CallOptions>,
  callback: (error: ServiceError | null, response: Res) => void,
) => ClientUnaryCall;

/**
 * Calls `method` with a deadline `timeoutMs` from now (Infinity: none) and resolves with the reply;
 * rejects with CriError carrying the gRPC code and naming `rpc`.
 */
export function unary<Req, Res>(rpc: string, method: UnaryMethod<Req, Res>, metadata: Metadata, request: Req, timeoutMs: number): Promise<Res> {
  const options: Partial<CallOptions> = Number.isFinite(timeoutMs) ? { deadline: Date.now() + timeoutMs } : {};
  return new Promise((resolve, reject) => {
    method(request, metadata, options, (error, response) => {
      if (error) reject(new CriError(rpc, error.code ?? status.UNKNOWN, error.details || error.message, { cause: error }));
      else resolve(response);
    });
  });
}
