// NodeRestriction (Kubernetes' plugin of that name): a kubelet creates or changes only its own Node (with labels a node
// may set), its own Lease and pods bound to itself, and requests only tokens bound to its own pods.
import { apiErrors, kindForResource, type ApiObject, type authenticationV1TokenRequest, type KindInfo } from "@kubeplane/api";
import { nodeNameOf } from "../../authz/node-identity.js";
import type { AdmissionAttributes, AdmissionStore, ValidatingAdmissionPlugin } from "../interfaces.js";

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

type PodLike = ApiObject & { spec?: { nodeName?: string } };
const pods = (): KindInfo<PodLike> => kindForResource("", "pods") as KindInfo<PodLike>;
const labelsOf = (o: ApiObject | undefined): Record<string, string> => o?.metadata?.labels ?? {};

/**
 * Validates a node's writes on the decoded objects: its own Node only, created or updated with
 * labels a node may set (only labels it changes are checked), Leases named after itself, pods bound
 * to itself, tokens bound to its own pods. Refuses with Forbidden; other users pass untouched.
 */
export class NodeRestriction implements ValidatingAdmissionPlugin {
  readonly name = "NodeRestriction";

  handles(attrs: AdmissionAttributes): boolean {
    return nodeNameOf(attrs.user) !== undefined;
  }

  async validate(attrs: AdmissionAttributes, store: AdmissionStore): Promise<void> {
    const node = nodeNameOf(attrs.user)!;
    const { info, subresource, operation } = attrs;
    const refuse = (resource: string, name: string, why: string): never => {
      throw apiErrors.forbidden({ resource, group: info.group, name }, why);
    };
    if (info.group === "" && info.resource === "serviceaccounts" && subresource === "token") {
      // A node's tokens must be bound to one of its pods, so a stolen token dies with the pod.
      const ref = (attrs.object as authenticationV1TokenRequest.TokenRequest | undefined)?.spec?.boundObjectRef;
      if (ref?.kind !== "Pod") refuse("serviceaccounts", attrs.name, `node "${node}" can only create tokens bound to a pod`);
      const pod = await store.get(pods(), attrs.namespace, ref!.name);
      if (!pod || pod.spec?.nodeName !== node || (ref!.uid && pod.metadata?.uid !== ref!.uid)) {
        refuse("serviceaccounts", attrs.name, `node "${node}" can only create tokens bound to pods scheduled on it`);
      }
      return;
    }
    if (subresource) return;
    if (info.group === "coordination.k8s.io" && info.resource === "leases" && operation === "CREATE") {
      if (attrs.name !== node) refuse("leases", attrs.name, `node "${node}" can only create its own Lease`);
      return;
    }
    if (info.group !== "") return;
    if (info.resource === "pods" && operation === "CREATE") {
      if ((attrs.object as PodLike).spec?.nodeName !== node) refuse("pods", attrs.name, `node "${node}" can only create pods with spec.nodeName set to itself`);
      return;
    }
    if (info.resource !== "nodes" || (operation !== "CREATE" && operation !== "UPDATE")) return;
    if (attrs.name !== node) refuse("nodes", attrs.name, `node "${node}" is not allowed to modify node "${attrs.name}"`);
    const wanted = labelsOf(attrs.object);
    const old = labelsOf(attrs.oldObject);
    const changed = [...Object.keys(wanted).filter((k) => old[k] !== wanted[k]), ...Object.keys(old).filter((k) => !(k in wanted))];
    const refused = [...new Set(changed.filter((k) => !nodeMaySetLabel(k)))].sort();
    if (refused.length > 0) refuse("nodes", attrs.name, `is not allowed to modify labels: ${refused.join(", ")}`);
  }
}
