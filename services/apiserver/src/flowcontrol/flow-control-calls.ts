// The flow-control step of the request path: a seat (API Priority and Fairness) for each short call, a watch slot for each watch.
import type { Metadata, sendUnaryData, ServerUnaryCall, ServerWritableStream, UntypedServiceImplementation } from "@grpc/grpc-js";
import { apiErrors, toGrpcStatus, type ApiError } from "@kubeplane/api";
import type { Logger } from "@kubeplane/service-kit";
import { requestUser } from "../authn/index.js";
import { RequestRejectedError, type FlowController } from "./fair-queue.js";
import { classify, type FlowSchema } from "./priority-levels.js";
import type { WatchLimiter } from "./watch-limits.js";

/** What the step needs; both limits are optional (off). */
export interface FlowControlDeps {
  flowController?: FlowController | undefined;
  watchLimiter?: WatchLimiter | undefined;
  schemas?: readonly FlowSchema[];
  logger: Logger;
}

/**
 * Calls that hold no seat, as kube-apiserver's long-running check (watch, and the log, exec,
 * attach, port-forward, image-upload and backup calls): they may last for hours, so counting
 * them would starve short calls. Watches are capped per user instead.
 */
export const longRunningMethods: ReadonlySet<string> = new Set(["watch", "podLogs", "podExec", "podExecStream", "podAttach", "podPortForward", "nodeImportImages", "backup"]);

/** Kubernetes' APF refusal: 429 TooManyRequests, retry after 1 s. */
export function flowControlRefusal(): ApiError {
  return apiErrors.tooManyRequests("Too many requests, please try again later.", 1);
}

type Call = (ServerUnaryCall<unknown, unknown> | ServerWritableStream<unknown, unknown>) & { metadata: Metadata; request: unknown };

/**
 * Wraps every handler of `implementation` (behind authentication and authorization, so the call's
 * user is the impersonated one, as upstream's filter order): a short call runs once its priority
 * level gives it a seat and frees it when it replies; a refused call ends with RESOURCE_EXHAUSTED
 * (Status TooManyRequests, retryAfterSeconds 1) and its handler never runs. A watch runs if its
 * user is under the watch cap, holding one slot until the stream ends.
 */
export function flowControlCalls<T extends object>(implementation: T, deps: FlowControlDeps): T {
  const { flowController, watchLimiter, logger } = deps;
  const wrapped: Record<string, unknown> = {};
  for (const [method, handler] of Object.entries(implementation as UntypedServiceImplementation)) {
    if (typeof handler !== "function") continue;
    const fn = handler as (...args: unknown[]) => void;
    if (method === "watch" && watchLimiter) {
      wrapped[method] = (call: Call) => {
        const user = requestUser(call);
        const release = watchLimiter.tryAcquire(user);
        if (!release) {
          logger.debug({ user: user.username, cap: watchLimiter.capOf(user) }, "watch refused: the user is at its watch cap");
          const cap = watchLimiter.capOf(user);
          call.emit("error", toGrpcStatus(apiErrors.tooManyRequests(`Too many requests: user "${user.username}" already has ${cap} open watches (the limit), please try again later.`, 1)));
          return;
        }
        for (const event of ["finish", "close", "cancelled", "error"]) call.once(event, release);
        fn.call(implementation, call);
      };
      continue;
    }
    if (!flowController || longRunningMethods.has(method)) {
      wrapped[method] = handler;
      continue;
    }
    wrapped[method] = (call: Call, callback?: sendUnaryData<unknown>) => {
      // A streaming call not listed above (no callback to answer through) holds no seat either.
      if (typeof callback !== "function") {
        fn.call(implementation, call, callback);
        return;
      }
      const user = requestUser(call);
      const resource = (call.request as { resource?: { resource?: string } } | undefined)?.resource?.resource ?? "";
      const schema = classify({ user, method, resource }, deps.schemas);
      const cancelled = new AbortController();
      const onCancel = (): void => cancelled.abort();
      call.once("cancelled", onCancel);
      flowController.acquire(schema.priorityLevel, schema.name, user.username, cancelled.signal).then(
        (release) => {
          call.removeListener("cancelled", onCancel);
          const done: sendUnaryData<unknown> = (...args) => {
            release();
            (callback as (...a: unknown[]) => void)(...args);
          };
          try {
            fn.call(implementation, call, done);
          } catch (err) {
            release();
            throw err;
          }
        },
        (err: unknown) => {
          call.removeListener("cancelled", onCancel);
          if (err instanceof RequestRejectedError) {
            if (err.reason === "cancelled") return; // the client is gone: nobody to answer
            logger.debug({ user: user.username, priorityLevel: err.priorityLevel, flowSchema: schema.name, reason: err.reason }, "request rejected by flow control");
            callback(toGrpcStatus(flowControlRefusal()) as never);
            return;
          }
          logger.error({ err }, "flow control failed");
          callback(toGrpcStatus(apiErrors.internalError(err)) as never);
        },
      );
    };
  }
  return wrapped as T;
}
