// NodeName: a pod with spec.nodeName fits only that node (kube-scheduler's nodename plugin).
import { SKIP, SUCCESS, unresolvable } from "../framework/interface.js";
import type { ClusterEvent, CycleState, FilterPlugin, NodeInfo, PluginFactory, PodInfo, PreFilterPlugin, PreFilterResult, Status } from "../framework/interface.js";

export const NODE_NAME = "NodeName";
export const ERR_REASON_NODE_NAME = "node(s) didn't match the requested node name";

export class NodeName {
  readonly name = NODE_NAME;

  /** Only the named node appearing can help. */
  eventsToRegister(): readonly ClusterEvent[] {
    return ["NodeAdd"];
  }

  /** Narrows the candidates to spec.nodeName; without one, Filter has nothing to check. */
  preFilter(_state: CycleState, pod: PodInfo): PreFilterResult {
    const nodeName = pod.pod.spec?.nodeName;
    if (!nodeName) return { status: SKIP };
    return { status: SUCCESS, nodeNames: new Set([nodeName]) };
  }

  filter(_state: CycleState, pod: PodInfo, node: NodeInfo): Status {
    const nodeName = pod.pod.spec?.nodeName;
    if (!nodeName || nodeName === node.name) return SUCCESS;
    return unresolvable(ERR_REASON_NODE_NAME);
  }
}

/** The registry's constructor of NodeName. */
export const newNodeName: PluginFactory = () => new NodeName() satisfies PreFilterPlugin & FilterPlugin;
