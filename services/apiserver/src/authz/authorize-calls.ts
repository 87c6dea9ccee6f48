// Authorizes every call of the ApiServerService after authentication: impersonation, access reviews, RBAC and Node, escalation checks.
import type { Metadata, sendUnaryData, ServerUnaryCall, ServerWritableStream, UntypedServiceImplementation } from "@grpc/grpc-js";
import { kindForResource, podStreamTarget } from "@kubeplane/api";
import type { Logger } from "@kubeplane/service-kit";
import { requestUser, setRequestUser } from "../authn/index.js";
import { auditAuthorization } from "../audit/call-context.js";
import { toServiceError } from "../status-mapping.js";
import { createReview, isReviewResource, refuseReviewVerb } from "./access-review.js";
import type { Authorizer } from "./authorizer.js";
import { callAttributes } from "./call-attributes.js";
import { forbiddenError } from "./forbidden.js";
import { impersonatedUser } from "./impersonation.js";
import type { EscalationCheck } from "./rbac-escalation.js";

/** What the authorize step needs. */
export interface AuthorizeDeps {
  authorizer: Authorizer;
  /** RBAC's escalation prevention for writes of roles and bindings. */
  escalation: EscalationCheck;
  logger: Logger;
}

type Call = (ServerUnaryCall<unknown, unknown> | ServerWritableStream<unknown, unknown>) & { metadata: Metadata; request: unknown };

/**
 * Wraps every handler of `implementation` (itself wrapped by `authenticateCalls`, so the call has
 * a user): the call runs only when the (possibly impersonated) user is allowed its verb on its
 * resource; a refusal ends it with Forbidden (gRPC PERMISSION_DENIED) and the handler never runs.
 * Creates of the review kinds are answered here and never reach the store.
 */
export function authorizeCalls<T extends object>(implementation: T, deps: AuthorizeDeps): T {
  const { authorizer, escalation, logger } = deps;
  const wrapped: Record<string, unknown> = {};
  for (const [method, handler] of Object.entries(implementation as UntypedServiceImplementation)) {
    if (typeof handler !== "function") continue;
    const fn = handler as (...args: unknown[]) => void;
    wrapped[method] = (call: Call, callback?: sendUnaryData<unknown>) => {
      const fail = (err: unknown): void => {
        const status = toServiceError(err, logger);
        if (callback) callback(status as never);
        else call.emit("error", status);
      };
      const decide = async (): Promise<boolean> => {
        const authenticated = requestUser(call);
        const user = await impersonatedUser(call.metadata, authenticated, authorizer);
        setRequestUser(call, user);
        // A bidirectional stream has no request yet: its pod is named by metadata (pods/exec, attach, portforward).
        const attrs = callAttributes(method, call.request ?? podStreamTarget(call.metadata), user);
        const verdict = await authorizer.authorize(attrs);
        auditAuthorization(call, authenticated, user, { allowed: verdict.decision === "allow", reason: verdict.reason });
        if (verdict.decision !== "allow") {
          logger.debug({ user: user.username, verb: attrs.verb, resource: attrs.resource, namespace: attrs.namespace, reason: verdict.reason }, "forbidden");
          throw forbiddenError(attrs, verdict.reason);
        }
        const info = attrs.resourceRequest ? kindForResource(attrs.apiGroup, attrs.resource) : undefined;
        if (info && isReviewResource(info)) {
          if (method !== "create") refuseReviewVerb(info, attrs.verb);
          const req = call.request as { object?: never; accept?: never };
          callback!(null, await createReview(info, req.object, req.accept ?? 0, user, authorizer));
          return false;
        }
        await escalation.check(attrs, call.request as never);
        return true;
      };
      decide().then(
        (proceed) => {
          if (proceed) fn.call(implementation, call, callback);
        },
        fail,
      );
    };
  }
  return wrapped as T;
}
