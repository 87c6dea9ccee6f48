// A simulated Node: what a kubelet would register for a machine that does not exist, Ready from the start.
import { coreV1Node, isAlreadyExists, isConflict } from "@kubeplane/api";
import type { ApiClient } from "@kubeplane/client";
import type { ResourceList } from "../node/host-info.js";
import { desiredNodeStatus, nodeKind } from "../node/node-status.js";
import { defaultNodeLabels } from "../node/node-registration.js";
import { SIMULATED_RUNTIME } from "./simulated-pod.js";

type Node = coreV1Node.Node;

/** The label every simulated Node carries, so nobody mistakes one for a machine. */
export const SIMULATED_NODE_LABEL = "kubeplane.io/simulated";

/** A simulated node's shape; the same for all of a simulation's nodes. */
export interface SimulatedNodeTemplate {
  capacity: ResourceList;
  labels: Record<string, string>;
  taints: coreV1Node.Taint[];
  /** InternalIP (and the hostIP of its pods). */
  nodeIp: string;
  kubeletVersion: string;
}

/** The status of a simulated node at `now`, over what the apiserver holds. */
export function simulatedNodeStatus(name: string, template: SimulatedNodeTemplate, current: coreV1Node.NodeStatus | undefined, now: Date, kubeletPort = 0): coreV1Node.NodeStatus {
  const source = {
    capacity: template.capacity,
    allocatable: template.capacity,
    addresses: [{ type: "InternalIP", address: template.nodeIp }, { type: "Hostname", address: name }],
    kubeletPort,
    nodeInfo: coreV1Node.NodeSystemInfo.fromPartial({
      kubeletVersion: template.kubeletVersion,
      containerRuntimeVersion: `${SIMULATED_RUNTIME}://0.1.0`,
      operatingSystem: "linux",
      architecture: "amd64",
      osImage: "Simulated (no machine behind this node)",
    }),
  };
  return desiredNodeStatus(current, source, { ready: true }, current?.images ?? [], now);
}

/**
 * Creates the simulated node `name` with pod CIDR `podCidr`, Ready; if it exists (a restarted
 * simulation), posts it Ready again and keeps everything else. Resolves with the Node as stored.
 * `kubeletPort` is its stats endpoint when it serves one (0: none).
 */
export async function registerSimulatedNode(client: ApiClient, name: string, podCidr: string, template: SimulatedNodeTemplate, now: Date, signal?: AbortSignal, kubeletPort = 0): Promise<Node> {
  const labels = { ...defaultNodeLabels(name, "linux", "amd64"), ...template.labels, [SIMULATED_NODE_LABEL]: "true" };
  try {
    return (await client.create(nodeKind, coreV1Node.Node.fromPartial({
      apiVersion: "v1",
      kind: "Node",
      metadata: { name, labels },
      spec: { podCidr, podCidrs: [podCidr], taints: template.taints },
      status: simulatedNodeStatus(name, template, undefined, now, kubeletPort),
    }), { signal })) as Node;
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
  }
  for (let attempt = 0; ; attempt++) {
    const existing = (await client.get(nodeKind, "", name, { signal })) as Node;
    const updated = coreV1Node.Node.fromPartial({ ...existing, status: simulatedNodeStatus(name, template, existing.status, now, kubeletPort) });
    try {
      return (await client.updateStatus(nodeKind, updated, { signal })) as Node;
    } catch (err) {
      if (!isConflict(err) || attempt >= 4) throw err;
    }
  }
}
