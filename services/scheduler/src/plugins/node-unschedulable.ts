// NodeUnschedulable: a cordoned node (spec.unschedulable) takes only pods tolerating
// node.kubernetes.io/unschedulable:NoSchedule (kube-scheduler's nodeunschedulable).
import { SUCCESS, unresolvable } from "../framework/interface.js";
import type { ClusterEvent, CycleState, FilterPlugin, NodeInfo, PluginFactory, PodInfo, Status } from "../framework/interface.js";
import { tolerationsTolerateTaint } from "./helper/taints.js";

export const NODE_UNSCHEDULABLE = "NodeUnschedulable";
export const ERR_REASON_UNSCHEDULABLE = "node(s) were unschedulable";

/** The taint a cordoned node implies; a pod tolerating it tolerates spec.unschedulable too. */
const UNSCHEDULABLE_TAINT = { key: "node.kubernetes.io/unschedulable", value: "", effect: "NoSchedule" };

export class NodeUnschedulable {
  readonly name = NODE_UNSCHEDULABLE;

  /** A node made schedulable (or a new one) may take the pod. */
  eventsToRegister(): readonly ClusterEvent[] {
    return ["NodeAdd", "NodeUpdate"];
  }

  filter(_state: CycleState, pod: PodInfo, node: NodeInfo): Status {
    if (!node.node.spec?.unschedulable) return SUCCESS;
    if (tolerationsTolerateTaint(pod.pod.spec?.tolerations ?? [], UNSCHEDULABLE_TAINT)) return SUCCESS;
    return unresolvable(ERR_REASON_UNSCHEDULABLE);
  }
}

/** The registry's constructor of NodeUnschedulable. */
export const newNodeUnschedulable: PluginFactory = () => new NodeUnschedulable() satisfies FilterPlugin;
