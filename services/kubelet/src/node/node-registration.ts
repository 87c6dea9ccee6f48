// Registers the kubelet's Node with the apiserver, or reconciles the labels of the one already there.
import { coreV1Node, isAlreadyExists, isConflict } from "@kubeplane/api";
import type { ApiClient } from "@kubeplane/client";
import { nodeKind } from "./node-status.js";

type Node = coreV1Node.Node;
type Taint = coreV1Node.Taint;

/** The well-known labels a kubelet puts on its Node. */
export function defaultNodeLabels(hostname: string, os: string, arch: string): Record<string, string> {
  return { "kubernetes.io/hostname": hostname, "kubernetes.io/os": os, "kubernetes.io/arch": arch, "beta.kubernetes.io/os": os, "beta.kubernetes.io/arch": arch };
}

/** What the kubelet registers. */
export interface NodeRegistration {
  nodeName: string;
  /** Default labels plus --node-labels (the latter win). */
  labels: Record<string, string>;
  /** --register-with-taints: set only when the Node is created. */
  taints: Taint[];
  /**
   * --pod-cidr: the machine's pod range (the chart assigns one per machine and routes it), set only when the
   * Node is created, so node-ipam occupies it instead of handing the Node another range than its pods use.
   * Dual stack: "IPv4CIDR,IPv6CIDR".
   */
  podCidr?: string;
  /** The first status, posted with the create so the Node is never seen without one. */
  status: coreV1Node.NodeStatus;
}

/** The Node object a registration creates. */
export function nodeForRegistration(reg: NodeRegistration): Node {
  return coreV1Node.Node.fromPartial({
    apiVersion: "v1",
    kind: "Node",
    metadata: { name: reg.nodeName, labels: reg.labels },
    // "v4,v6" (dual stack): podCIDR is the first, podCIDRs both, as node-ipam writes them.
    spec: { taints: reg.taints, ...(reg.podCidr ? { podCidr: reg.podCidr.split(",")[0], podCidrs: reg.podCidr.split(",") } : {}) },
    status: reg.status,
  });
}

/**
 * Creates the Node; when it exists already (a restarted kubelet), adds or corrects the
 * registration's labels and keeps everything else (podCIDR, taints, unschedulable and labels set
 * by others); its status is the status sync's to write. Resolves with the Node as stored. Throws
 * the API's errors (the caller retries).
 */
export async function registerNode(client: ApiClient, reg: NodeRegistration, signal?: AbortSignal): Promise<Node> {
  try {
    return (await client.create(nodeKind, nodeForRegistration(reg), { signal })) as Node;
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
  }
  for (let attempt = 0; ; attempt++) {
    const existing = (await client.get(nodeKind, "", reg.nodeName, { signal })) as Node;
    if (Object.entries(reg.labels).every(([k, v]) => existing.metadata?.labels[k] === v)) return existing;
    const labels = { ...existing.metadata?.labels, ...reg.labels };
    const updated = coreV1Node.Node.fromPartial({ ...existing, metadata: { ...existing.metadata, labels } });
    try {
      return (await client.update(nodeKind, updated, { signal })) as Node;
    } catch (err) {
      if (!isConflict(err) || attempt >= 4) throw err;
    }
  }
}
