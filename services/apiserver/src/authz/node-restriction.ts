// NodeRestriction admission: a kubelet creates or changes only its own Node (with labels a node may set), Lease and mirror pods.
import { apiErrors, apiserverV1, authenticationV1TokenRequest, kindForResource, type ApiObject, type KindInfo } from "@kubeplane/api";
import { decodeRequestObject } from "../object-codec.js";
import type { Registry } from "../registry.js";
import type { RequestAttributes } from "./attributes.js";
import { peekMeta } from "./call-attributes.js";
import { nodeNameOf } from "./node-identity.js";

/** Labels under kubernetes.io / k8s.io a kubelet may set on its Node (Kubernetes' kubelet-allowed labels). */
const ALLOWED_LABELS = new Set([
  "kubernetes.io/hostname",
  "kubernetes.io/arch",
  "kubernetes.io/os",
  "beta.kubernetes.io/arch",
  "beta.kubernetes.io/os",
  "beta.kubernetes.io/instance-type",
  "node.kubernetes.io/instance-type",
  "failure-domain.beta.kubernetes.io/region",
  "failure-domain.beta.kubernetes.io/zone",
  "topology.kubernetes.io/region",
  "topology.kubernetes.io/zone",
]);
const ALLOWED_PREFIXES = ["kubelet.kubernetes.io/", "node.kubernetes.io/"];

/** Whether a kubelet may set label `key` on its own Node. */
export function nodeMaySetLabel(key: string): boolean {
  const slash = key.indexOf("/");
  if (slash < 0) return true;
  const domain = key.slice(0, slash);
  if (domain === "node-restriction.kubernetes.io" || domain.endsWith(".node-restriction.kubernetes.io")) return false;
  const kubernetesDomain = ["kubernetes.io", "k8s.io"].some((d) => domain === d || domain.endsWith(`.${d}`));
  if (!kubernetesDomain) return true;
  return ALLOWED_LABELS.has(key) || ALLOWED_PREFIXES.some((p) => key.startsWith(p));
}

interface Call {
  method: string;
  request: { object?: apiserverV1.RawObject; patch?: Uint8Array; tokenRequest?: apiserverV1.RawObject };
}

/** The pod a TokenRequest binds its token to (undefined when it binds none, or cannot be read: the handler refuses it). */
function boundPod(raw: apiserverV1.RawObject | undefined): { kind: string; name: string; uid: string } | undefined {
  if (!raw) return undefined;
  try {
    const request =
      raw.encoding === apiserverV1.Encoding.ENCODING_JSON
        ? authenticationV1TokenRequest.TokenRequest.fromJSON(JSON.parse(Buffer.from(raw.data).toString("utf8")))
        : authenticationV1TokenRequest.TokenRequest.decode(raw.data);
    return request.spec?.boundObjectRef;
  } catch {
    return undefined;
  }
}

const labelsOf = (o: ApiObject | undefined): Record<string, string> => o?.metadata?.labels ?? {};

/**
 * Admits a node's write (after authorization, before the handler): its own Node only, created or
 * updated with labels a node may set (only labels it changes are checked), Leases named after
 * itself, pods bound to itself. Rejects with a Forbidden ApiError; anyone else passes untouched.
 */
export async function admitNodeRequest(a: RequestAttributes, call: Call, registry: Registry): Promise<void> {
  const node = nodeNameOf(a.user);
  if (!node || !a.resourceRequest) return;
  const refuse = (resource: string, name: string, why: string): never => {
    throw apiErrors.forbidden({ resource, group: a.apiGroup, name }, why);
  };
  if (a.apiGroup === "" && a.resource === "serviceaccounts" && a.subresource === "token") {
    // A node's tokens must be bound to one of its pods, so a stolen token dies with the pod.
    const ref = boundPod(call.request.tokenRequest);
    if (ref?.kind !== "Pod") refuse("serviceaccounts", a.name, `node "${node}" can only create tokens bound to a pod`);
    const pod = await registry.tryGet(kindForResource("", "pods") as KindInfo<ApiObject & { spec?: { nodeName?: string } }>, a.namespace, ref!.name);
    if (!pod || pod.obj.spec?.nodeName !== node || (ref!.uid && pod.obj.metadata?.uid !== ref!.uid)) {
      refuse("serviceaccounts", a.name, `node "${node}" can only create tokens bound to pods scheduled on it`);
    }
    return;
  }
  if (a.subresource) return;
  if (a.apiGroup === "coordination.k8s.io" && a.resource === "leases" && a.verb === "create") {
    const name = peekMeta(call.request.object).name;
    if (name !== node) refuse("leases", name, `node "${node}" can only create its own Lease`);
    return;
  }
  if (a.apiGroup !== "") return;
  if (a.resource === "pods" && a.verb === "create") {
    const pods = kindForResource("", "pods") as KindInfo<ApiObject & { spec?: { nodeName?: string } }>;
    const pod = decodeRequestObject(pods, call.request.object);
    if (pod.spec?.nodeName !== node) refuse("pods", pod.metadata?.name ?? "", `node "${node}" can only create pods with spec.nodeName set to itself`);
    return;
  }
  if (a.resource !== "nodes" || !["create", "update", "patch"].includes(a.verb)) return;
  const nodes = kindForResource("", "nodes")!;
  let name = a.name;
  let wanted: Record<string, string | null>;
  if (a.verb === "patch") {
    try {
      const patch = JSON.parse(Buffer.from(call.request.patch ?? new Uint8Array()).toString("utf8")) as { metadata?: { labels?: Record<string, string | null> } } | null;
      wanted = patch?.metadata?.labels ?? {};
    } catch {
      return; // the handler refuses an unparsable patch itself
    }
  } else {
    const obj = decodeRequestObject(nodes, call.request.object);
    name = obj.metadata?.name ?? "";
    wanted = labelsOf(obj);
  }
  if (name !== node) refuse("nodes", name, `node "${node}" is not allowed to modify node "${name}"`);
  const old = a.verb === "create" ? {} : labelsOf((await registry.tryGet(nodes, "", name))?.obj);
  const changed = Object.entries(wanted).filter(([k, v]) => old[k] !== (v ?? undefined)).map(([k]) => k);
  if (a.verb === "update") changed.push(...Object.keys(old).filter((k) => !(k in wanted)));
  const refused = [...new Set(changed.filter((k) => !nodeMaySetLabel(k)))].sort();
  if (refused.length > 0) refuse("nodes", name, `is not allowed to modify labels: ${refused.join(", ")}`);
}
