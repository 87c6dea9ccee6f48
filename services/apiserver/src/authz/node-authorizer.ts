// The Node authorizer: a kubelet reaches only its own Node and Lease, the pods bound to it, and the objects those pods use.
import { kindForResource, parseFieldSelector, type coreV1Pod, type KindInfo } from "@kubeplane/api";
import type { Registry } from "../registry.js";
import type { RequestAttributes } from "./attributes.js";
import { NO_OPINION, type Authorizer, type Verdict } from "./authorizer.js";
import { podReferences, type NodeGraph } from "./node-graph.js";
import { nodeNameOf } from "./node-identity.js";

const NODE_LEASE_NAMESPACE = "kube-node-lease";
const ALLOW: Verdict = Object.freeze({ decision: "allow", reason: "" });
const deny = (reason: string): Verdict => ({ decision: "deny", reason });
const noRelation = (node: string): Verdict => deny(`no relationship found between node '${node}' and this object`);

/** Whether a list or watch's field selector restricts it to `node`'s pods. */
function selectsNode(fieldSelector: string | undefined, node: string): boolean {
  if (!fieldSelector) return false;
  try {
    return parseFieldSelector(fieldSelector).requirements.some((r) => r.field === "spec.nodeName" && r.operator === "Equals" && r.value === node);
  } catch {
    return false;
  }
}

/**
 * Decides for node identities (`system:node:<name>` in `system:nodes`) and has no opinion on
 * anyone else. For a node it allows, on the graph of pods bound to it: get of the Secrets,
 * ConfigMaps, PersistentVolumeClaims and PersistentVolumes they use, and tokens of their
 * ServiceAccounts; get, status updates and
 * delete of those pods, list/watch of pods only with `spec.nodeName=<node>`; writes to its own
 * Node and Lease; and denies the rest of those kinds. Events, Services and other reads are left to
 * RBAC (system:node). A graph miss is confirmed against the store, since the graph trails it.
 */
export class NodeAuthorizer implements Authorizer {
  constructor(
    private readonly graph: NodeGraph,
    private readonly registry: Registry,
  ) {}

  authorize(a: RequestAttributes): Verdict | Promise<Verdict> {
    const node = nodeNameOf(a.user);
    if (!node || !a.resourceRequest) return NO_OPINION;
    if (a.apiGroup === "coordination.k8s.io" && a.resource === "leases") return this.lease(node, a);
    if (a.apiGroup !== "") return NO_OPINION;
    switch (a.resource) {
      case "secrets":
      case "configmaps":
      case "persistentvolumeclaims":
        if (a.verb !== "get" || a.subresource) return noRelation(node);
        return this.graph.references(node, a.resource, a.namespace, a.name) ? ALLOW : this.confirmReference(node, a);
      case "serviceaccounts": {
        // The kubelet reads its pods' ServiceAccounts and requests their tokens (TokenRequest).
        const allowed = (a.verb === "get" && !a.subresource) || (a.verb === "create" && a.subresource === "token");
        if (!allowed) return noRelation(node);
        return this.graph.references(node, a.resource, a.namespace, a.name) ? ALLOW : this.confirmReference(node, a);
      }
      case "persistentvolumes":
        return a.verb === "get" && this.graph.referencesVolume(node, a.name) ? ALLOW : noRelation(node);
      case "pods":
        return this.pod(node, a);
      case "nodes":
        return this.node(node, a);
      default:
        return NO_OPINION;
    }
  }

  private lease(node: string, a: RequestAttributes): Verdict {
    if (a.namespace !== NODE_LEASE_NAMESPACE) return deny(`node '${node}' may only use its own Lease in ${NODE_LEASE_NAMESPACE}`);
    if (a.verb === "create" || a.name === node) return ALLOW; // NodeRestriction checks a created Lease's name
    return deny(`node '${node}' cannot access the Lease of '${a.name}'`);
  }

  private node(node: string, a: RequestAttributes): Verdict {
    if (["get", "list", "watch"].includes(a.verb) && !a.subresource) return NO_OPINION; // reading Nodes: RBAC's system:node
    if (a.verb === "create" && !a.subresource) return ALLOW; // NodeRestriction checks the name
    if (a.name === node && ["update", "patch", "delete"].includes(a.verb) && (a.subresource === "" || a.subresource === "status")) return ALLOW;
    return deny(`node '${node}' cannot modify node '${a.name}'`);
  }

  private pod(node: string, a: RequestAttributes): Verdict | Promise<Verdict> {
    if (a.verb === "list" || a.verb === "watch") {
      return selectsNode(a.fieldSelector, node) ? ALLOW : deny(`node '${node}' can only ${a.verb} pods with spec.nodeName=${node}`);
    }
    if (a.verb === "create" && !a.subresource) return ALLOW; // mirror pods; NodeRestriction checks the binding
    const allowed = a.verb === "get" ? a.subresource === "" : a.verb === "delete" ? a.subresource === "" : (a.verb === "update" || a.verb === "patch") && a.subresource === "status";
    if (!allowed) return noRelation(node);
    const bound = this.graph.nodeOfPod(a.namespace, a.name);
    if (bound === node) return ALLOW;
    if (bound !== undefined) return noRelation(node);
    return this.confirmPod(node, a);
  }

  /** The graph may trail a just-bound pod: read it. */
  private async confirmPod(node: string, a: RequestAttributes): Promise<Verdict> {
    const found = await this.registry.tryGet(kindForResource("", "pods") as KindInfo<coreV1Pod.Pod>, a.namespace, a.name);
    // A pod that does not exist: allow the get so the kubelet learns NotFound rather than Forbidden.
    if (!found) return a.verb === "get" || a.verb === "delete" ? ALLOW : noRelation(node);
    return found.obj.spec?.nodeName === node ? ALLOW : noRelation(node);
  }

  /** The graph may trail a just-bound pod that uses the object: read that namespace's pods on this node. */
  private async confirmReference(node: string, a: RequestAttributes): Promise<Verdict> {
    const pods = kindForResource("", "pods") as KindInfo<coreV1Pod.Pod>;
    const page = await this.registry.list(pods, { namespace: a.namespace, labelSelector: "", fieldSelector: `spec.nodeName=${node}`, limit: 0, continueToken: "" });
    const key = `${a.resource}/${a.namespace}/${a.name}`;
    return page.items.some((p) => podReferences(p).includes(key)) ? ALLOW : noRelation(node);
  }
}
