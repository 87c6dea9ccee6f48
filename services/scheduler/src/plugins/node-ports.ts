// NodePorts: a pod's hostPorts must be free on the node; 0.0.0.0 (or no hostIP) binds every
// address of the node (kube-scheduler's nodeports).
import { SKIP, SUCCESS, errorStatus, unschedulable } from "../framework/interface.js";
import type { ClusterEvent, CycleState, FilterPlugin, NodeInfo, PluginFactory, PodInfo, PreFilterPlugin, PreFilterResult, Status } from "../framework/interface.js";

export const NODE_PORTS = "NodePorts";
export const ERR_REASON_NODE_PORTS = "node(s) didn't have free ports for the requested pod ports";
const PRE_FILTER_STATE_KEY = "PreFilter" + NODE_PORTS;
const BIND_ALL_HOST_IP = "0.0.0.0";

/** A wanted host port, sanitised as NodeInfo.usedPorts records them. */
export interface HostPort {
  protocol: string;
  hostIp: string;
  port: number;
}

/** The pod's container ports that ask for a host port. */
export function hostPortsOf(pod: PodInfo): HostPort[] {
  const out: HostPort[] = [];
  for (const c of pod.pod.spec?.containers ?? []) {
    for (const p of c.ports ?? []) {
      if (p.hostPort > 0) out.push({ protocol: p.protocol || "TCP", hostIp: p.hostIp || BIND_ALL_HOST_IP, port: p.hostPort });
    }
  }
  return out;
}

/**
 * kube-scheduler's HostPortInfo.CheckConflict over NodeInfo.usedPorts
 * (`${protocol}/${hostIP}/${port}`): a wildcard wants the port on every IP, so any use conflicts;
 * a specific IP conflicts with the same IP or a wildcard use.
 */
export function portConflicts(used: ReadonlySet<string>, want: HostPort): boolean {
  if (want.hostIp !== BIND_ALL_HOST_IP) {
    return used.has(`${want.protocol}/${BIND_ALL_HOST_IP}/${want.port}`) || used.has(`${want.protocol}/${want.hostIp}/${want.port}`);
  }
  const prefix = `${want.protocol}/`;
  const suffix = `/${want.port}`;
  for (const key of used) if (key.startsWith(prefix) && key.endsWith(suffix)) return true;
  return false;
}

export class NodePorts {
  readonly name = NODE_PORTS;

  /** A pod freeing its host port, or a new node. */
  eventsToRegister(): readonly ClusterEvent[] {
    return ["AssignedPodDelete", "NodeAdd"];
  }

  /** Pods without host ports skip Filter. */
  preFilter(state: CycleState, pod: PodInfo): PreFilterResult {
    const ports = hostPortsOf(pod);
    if (ports.length === 0) return { status: SKIP };
    state.write(PRE_FILTER_STATE_KEY, ports);
    return { status: SUCCESS };
  }

  /** Unschedulable, not unresolvable: evicting the pod holding the port frees it. */
  filter(state: CycleState, _pod: PodInfo, node: NodeInfo): Status {
    const ports = state.read<HostPort[]>(PRE_FILTER_STATE_KEY);
    if (!ports) return errorStatus(`reading "${PRE_FILTER_STATE_KEY}" from cycleState: not found`);
    if (node.usedPorts.size === 0) return SUCCESS;
    return ports.some((p) => portConflicts(node.usedPorts, p)) ? unschedulable(ERR_REASON_NODE_PORTS) : SUCCESS;
  }
}

/** The registry's constructor of NodePorts. */
export const newNodePorts: PluginFactory = () => new NodePorts() satisfies PreFilterPlugin & FilterPlugin;
