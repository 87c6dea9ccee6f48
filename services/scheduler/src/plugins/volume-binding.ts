// VolumeBinding (lite): a pod's bound PersistentVolumes must be reachable from the node (kube-scheduler's volumebinding, without binding).
import { SKIP, SUCCESS, errorStatus, unresolvable } from "../framework/interface.js";
import type {
  ClusterEvent,
  CycleState,
  FilterPlugin,
  Node,
  NodeInfo,
  PersistentVolume,
  PluginFactory,
  PodInfo,
  PreFilterPlugin,
  PreFilterResult,
  Status,
  StorageListers,
} from "../framework/interface.js";
import { compileNodeSelector } from "./helper/node-affinity.js";

export const NAME = "VolumeBinding";
export const ERR_NODE_CONFLICT = "node(s) had volume node affinity conflict";
export const ERR_UNBOUND_IMMEDIATE = "pod has unbound immediate PersistentVolumeClaims";
export const ERR_PV_NOT_EXIST = "node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)";

const PRE_FILTER_KEY = `PreFilter${NAME}`;

/** The node constraints of the pod's bound volumes: every one must match the node. */
interface PreFilterState {
  readonly volumes: readonly ((node: Node) => boolean)[];
}

/** Whether `pv` can be used from `node`: no spec.nodeAffinity.required, or a term matching the node. */
function volumeMatcher(pv: PersistentVolume): ((node: Node) => boolean) | undefined {
  const required = pv.spec?.nodeAffinity?.required;
  if (!required) return undefined;
  const selector = compileNodeSelector(required);
  return (node) => selector(node.metadata?.labels ?? {}, node.metadata?.name ?? "");
}

/**
 * Lite VolumeBinding: the scheduler binds no claims and provisions nothing (the
 * cloud-controller-manager's volume controller does, after scheduling). PreFilter resolves the
 * pod's claims: a missing or deleting claim, an unbound claim of a missing class or of an
 * Immediate class (its provisioner has not bound it yet), or a claim bound to a missing volume
 * make the pod unschedulable everywhere; an unbound WaitForFirstConsumer claim passes (the
 * provisioner binds it on the chosen node). Filter keeps nodes matching every bound volume's
 * node affinity (local and hostPath volumes live on one node).
 */
export class VolumeBinding implements PreFilterPlugin, FilterPlugin {
  readonly name = NAME;

  /** A claim created or bound, a volume provisioned, a class created, or a node matching a volume. */
  eventsToRegister(): readonly ClusterEvent[] {
    return ["PvcAdd", "PvcUpdate", "PvAdd", "PvUpdate", "StorageClassAdd", "NodeAdd", "NodeUpdate"];
  }

  constructor(private readonly storage: () => StorageListers) {}

  preFilter(state: CycleState, pod: PodInfo): PreFilterResult {
    const claimNames = (pod.pod.spec?.volumes ?? []).flatMap((v) => (v.persistentVolumeClaim?.claimName ? [v.persistentVolumeClaim.claimName] : []));
    if (claimNames.length === 0) return { status: SKIP };
    const namespace = pod.pod.metadata?.namespace ?? "";
    const storage = this.storage();
    const volumes: ((node: Node) => boolean)[] = [];
    for (const claimName of claimNames) {
      const claim = storage.claim(namespace, claimName);
      if (!claim) return { status: unresolvable(`persistentvolumeclaim "${claimName}" not found`) };
      if (claim.metadata?.deletionTimestamp) return { status: unresolvable(`persistentvolumeclaim "${claimName}" is being deleted`) };
      const volumeName = claim.spec?.volumeName;
      if (!volumeName) {
        const className = claim.spec?.storageClassName ?? "";
        const cls = className ? storage.storageClass(className) : undefined;
        if (className && !cls) return { status: unresolvable(`storageclass.storage.k8s.io "${className}" not found`) };
        if (cls?.volumeBindingMode !== "WaitForFirstConsumer") return { status: unresolvable(ERR_UNBOUND_IMMEDIATE) };
        continue;
      }
      const pv = storage.volume(volumeName);
      if (!pv) return { status: unresolvable(ERR_PV_NOT_EXIST) };
      const matches = volumeMatcher(pv);
      if (matches) volumes.push(matches);
    }
    if (volumes.length === 0) return { status: SKIP };
    state.write(PRE_FILTER_KEY, { volumes } satisfies PreFilterState);
    return { status: SUCCESS };
  }

  /** Every bound volume's node affinity must match the node; preemption cannot change that. */
  filter(state: CycleState, _pod: PodInfo, node: NodeInfo): Status {
    const s = state.read<PreFilterState>(PRE_FILTER_KEY);
    if (!s) return errorStatus(`${NAME}: no PreFilter state`);
    return s.volumes.every((matches) => matches(node.node)) ? SUCCESS : unresolvable(ERR_NODE_CONFLICT);
  }
}

/** The registry's constructor of VolumeBinding. */
export const newVolumeBinding: PluginFactory = (_args, handle) => new VolumeBinding(() => handle.storage()) satisfies PreFilterPlugin & FilterPlugin;
