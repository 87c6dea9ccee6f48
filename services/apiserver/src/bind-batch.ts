// BindPods: many pods/binding calls in one request (the scheduler's binder), each authorized, admitted and applied on its own.
import { apiErrors, metaV1, type apiserverV1 } from "@kubeplane/api";
import type { Logger } from "@kubeplane/service-kit";
import { requestUser } from "./authn/index.js";
import { forbiddenError, resourceAttributes, type Authorizer } from "./authz/index.js";
import { bindPod, decodeBinding } from "./pod-binding.js";
import type { Registry } from "./registry.js";
import type { RequestContext } from "./request-context.js";
import { toApiError } from "./status-mapping.js";

/** etcd's default --max-txn-ops: a batch fits one group-committed txn. */
export const MAX_BINDINGS_PER_CALL = 128;

export interface BindPodsDeps {
  registry: Registry;
  /** Asked once per binding (create pods/binding on that pod); absent: the call's own authorization is the only check. */
  authorizer?: Authorizer | undefined;
  logger: Logger;
}

const SUCCESS: metaV1.Status = metaV1.Status.fromPartial({ apiVersion: "v1", kind: "Status", status: "Success", code: 201 });

/**
 * Serves BindPods. The call itself was authorized for `create pods/binding` in its namespace
 * (every namespace when it names none); each binding is then authorized on its own pod, decoded,
 * admitted and applied exactly as a single Bind call, all of them concurrently so the store can
 * commit them together. A binding that fails gets its Status in the reply and never fails its
 * neighbours; the call as a whole fails only when it is malformed (over MAX_BINDINGS_PER_CALL).
 */
export async function bindPods(deps: BindPodsDeps, req: apiserverV1.BindPodsRequest, call: object, ctx: RequestContext): Promise<apiserverV1.BindPodsReply> {
  if (req.bindings.length > MAX_BINDINGS_PER_CALL) {
    throw apiErrors.invalid({ resource: "bindings", kind: "Binding", name: "" }, [
      { type: "FieldValueTooMany", field: "bindings", value: req.bindings.length, detail: `must have at most ${MAX_BINDINGS_PER_CALL} items` },
    ]);
  }
  const user = requestUser(call);
  const results = await Promise.all(
    req.bindings.map(async (raw): Promise<apiserverV1.BindPodsResult> => {
      try {
        const binding = decodeBinding(raw);
        if (deps.authorizer) {
          const attrs = resourceAttributes(user, {
            verb: "create",
            resource: "pods",
            subresource: "binding",
            namespace: req.namespace || binding.metadata?.namespace || "",
            name: binding.metadata?.name ?? "",
          });
          const verdict = await deps.authorizer.authorize(attrs);
          if (verdict.decision !== "allow") throw forbiddenError(attrs, verdict.reason);
        }
        await bindPod(deps.registry, req.namespace, binding, ctx);
        return { status: SUCCESS };
      } catch (err) {
        return { status: toApiError(err, deps.logger).status };
      }
    }),
  );
  return { results };
}
