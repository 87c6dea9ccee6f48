// The pods/binding subresource: assigns a pending pod to a node (Kubernetes' BindingREST), for the Bind and BindPods calls.
import { apiErrors, apiserverV1, coreV1Pod, decodeMessageJson, kindForResource, parseJsonBody, type ApiObject, type KindInfo } from "@kubeplane/api";
import { timestamp, type Registry } from "./registry.js";
import type { RequestContext } from "./request-context.js";

const { Encoding } = apiserverV1;
type Pod = coreV1Pod.Pod;
const pods = kindForResource("", "pods")! as KindInfo<Pod>;

/** A Binding of a request: JSON (checked against the schema) or protobuf; BadRequest when it does not decode. */
export function decodeBinding(raw: apiserverV1.RawObject | undefined): coreV1Pod.Binding {
  if (!raw) throw apiErrors.badRequest("the request has no binding");
  if (raw.encoding === Encoding.ENCODING_JSON) {
    const { object, errors } = decodeMessageJson("kubeplane.core.v1.Binding", coreV1Pod.Binding, parseJsonBody(raw.data, "the object"));
    if (!object) throw apiErrors.badRequest("error decoding Binding", errors);
    return object;
  }
  try {
    return coreV1Pod.Binding.decode(raw.data);
  } catch (err) {
    throw apiErrors.badRequest(`the object is not a valid Binding protobuf: ${(err as Error).message}`);
  }
}

/**
 * Binds the pod `binding.metadata.name` (in `requestNamespace`, else the binding's) to
 * `binding.target.name`: admission (CREATE pods/binding), then one compare-and-swap of the pod
 * that sets spec.nodeName and PodScheduled=True. Throws ApiErrors: BadRequest or Invalid for a
 * malformed binding, NotFound, Conflict when the UID precondition fails or the pod is already
 * assigned or being deleted. Authorization is the caller's (the call's wrapper, or BindPods per binding).
 */
export async function bindPod(registry: Registry, requestNamespace: string, binding: coreV1Pod.Binding, ctx: RequestContext): Promise<Pod> {
  const namespace = requestNamespace || binding.metadata?.namespace || "";
  if (!namespace) throw apiErrors.badRequest(`a namespace is required for ${pods.resource}`);
  const name = binding.metadata?.name ?? "";
  if (!name) throw apiErrors.badRequest("binding metadata.name (the pod) is required");
  if (binding.target?.kind && binding.target.kind !== "Node") throw apiErrors.badRequest(`binding target kind must be Node, not ${binding.target.kind}`);
  const node = binding.target?.name ?? "";
  if (!node) throw apiErrors.invalid({ resource: "bindings", kind: "Binding", name }, [{ type: "FieldValueRequired", field: "target.name", detail: "" }]);
  await registry.admit({ operation: "CREATE", info: pods, subresource: "binding", namespace, name, object: binding as unknown as ApiObject }, ctx);
  return registry.guaranteedUpdate(pods, namespace, name, "", false, (old) => {
    const subject = { resource: "pods", name };
    if (binding.metadata?.uid && binding.metadata.uid !== old.metadata!.uid) {
      throw apiErrors.conflict(subject, `Precondition failed: UID in precondition: ${binding.metadata.uid}, UID in object meta: ${old.metadata!.uid}`);
    }
    if (old.metadata?.deletionTimestamp) throw apiErrors.conflict(subject, "pod is being deleted, cannot be assigned to a host");
    if (old.spec?.nodeName) throw apiErrors.conflict(subject, `pod ${name} is already assigned to node "${old.spec.nodeName}"`);
    // `old` is this call's own decoded copy: changed in place.
    const next = old;
    next.spec ??= coreV1Pod.PodSpec.fromPartial({});
    next.spec.nodeName = node;
    const status = (next.status ??= coreV1Pod.PodStatus.fromPartial({}));
    const condition = { type: "PodScheduled", status: "True", lastTransitionTime: timestamp(new Date()), lastProbeTime: "", reason: "", message: "" };
    const i = status.conditions.findIndex((c) => c.type === "PodScheduled");
    if (i >= 0) status.conditions[i] = { ...status.conditions[i]!, ...condition };
    else status.conditions.push(coreV1Pod.PodCondition.fromPartial(condition));
    return next;
  });
}
