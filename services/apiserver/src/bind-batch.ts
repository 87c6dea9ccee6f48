// BindPods: many pods/binding calls in one request (the scheduler's binder), each authorized, admitted and applied on its own.
import type { apiserverV1 } from "@kubeplane/api";
import type { Logger } from "@kubeplane/service-kit";
import { requestUser } from "./authn/index.js";
import type { Authorizer } from "./authz/index.js";
import { checkBatchSize, settleEachAlone } from "./batch-call.js";
import { bindPod, decodeBinding } from "./pod-binding.js";
import type { Registry } from "./registry.js";
import type { RequestContext } from "./request-context.js";

export interface BindPodsDeps {
  registry: Registry;
  /** Asked once per binding (create pods/binding on that pod); absent: the call's own authorization is the only check. */
  authorizer?: Authorizer | undefined;
  logger: Logger;
}

/**
 * Serves BindPods. The call itself was authorized for `create pods/binding` in its namespace
 * (every namespace when it names none); each binding is then authorized on its own pod, decoded,
 * admitted and applied exactly as a single Bind call, all of them concurrently so the store can
 * commit them together. A binding that fails gets its Status in the reply and never fails its
 * neighbours; the call as a whole fails only when it is malformed (over MAX_ITEMS_PER_BATCH).
 */
export async function bindPods(deps: BindPodsDeps, req: apiserverV1.BindPodsRequest, call: object, ctx: RequestContext): Promise<apiserverV1.BindPodsReply> {
  checkBatchSize(req.bindings.length, "bindings", "Binding");
  const results = await settleEachAlone(req.bindings, deps, requestUser(call), (raw) => {
    const binding = decodeBinding(raw);
    return {
      attributes: { verb: "create", resource: "pods", subresource: "binding", namespace: req.namespace || binding.metadata?.namespace || "", name: binding.metadata?.name ?? "" },
      apply: () => bindPod(deps.registry, req.namespace, binding, ctx),
    };
  });
  return { results };
}
