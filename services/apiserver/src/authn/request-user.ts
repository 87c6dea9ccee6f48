// Authenticates every call of a gRPC service before its handler runs, and keeps the user for the later steps.
import type { sendUnaryData, ServerUnaryCall, ServerWritableStream, UntypedServiceImplementation } from "@grpc/grpc-js";
import { apiErrors, toGrpcStatus } from "@kubeplane/api";
import type { Logger } from "@kubeplane/service-kit";
import type { Authenticator, AuthnRequest } from "./authenticator.js";
import type { UserInfo } from "./user-info.js";

const users = new WeakMap<object, UserInfo>();

/** The authenticated user of a call that passed `authenticateCalls`; throws if it did not (a wiring bug). */
export function requestUser(call: object): UserInfo {
  const user = users.get(call);
  if (!user) throw new Error("request has no authenticated user: the handler was not wrapped by authenticateCalls");
  return user;
}

/**
 * Makes `user` the user of `call` for every later step: impersonation (the authorize step) acts as
 * the impersonated user once the caller was allowed to. Only the request path calls it.
 */
export function setRequestUser(call: object, user: UserInfo): void {
  users.set(call, user);
}

function unauthorized(err: unknown): ReturnType<typeof toGrpcStatus> {
  // An authenticator's own Unauthorized keeps its message; anything else says no credential was usable.
  const apiError =
    err && typeof err === "object" && (err as { reason?: string }).reason === "Unauthorized"
      ? (err as Parameters<typeof toGrpcStatus>[0])
      : apiErrors.apiError("Unauthorized", "Unauthorized: no valid client certificate or bearer token");
  return toGrpcStatus(apiError);
}

/**
 * Wraps every handler of `implementation`: a call is served only once `authenticator` found its
 * user; otherwise it ends with UNAUTHENTICATED (Status reason Unauthorized, code 401) and the
 * handler never runs. Unary and server-streaming handlers are supported (the API has no other).
 */
export function authenticateCalls<T extends object>(implementation: T, authenticator: Authenticator, logger: Logger): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, handler] of Object.entries(implementation as UntypedServiceImplementation)) {
    if (typeof handler !== "function") continue;
    const fn = handler as (...args: unknown[]) => void;
    wrapped[name] = (call: ServerUnaryCall<unknown, unknown> | ServerWritableStream<unknown, unknown>, callback?: sendUnaryData<unknown>) => {
      const fail = (err: unknown): void => {
        const status = unauthorized(err);
        if (callback) callback(status as never);
        else (call as ServerWritableStream<unknown, unknown>).emit("error", status);
      };
      let verdict: Promise<UserInfo | undefined>;
      try {
        verdict = Promise.resolve(authenticator.authenticate(call as unknown as AuthnRequest));
      } catch (err) {
        fail(err);
        return;
      }
      verdict.then(
        (user) => {
          if (!user) {
            fail(undefined);
            return;
          }
          users.set(call, user);
          fn.call(implementation, call, callback);
        },
        (err: unknown) => {
          logger.debug({ err, method: name }, "authentication failed");
          fail(err);
        },
      );
    };
  }
  return wrapped as T;
}
