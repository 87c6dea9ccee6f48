// The scheduling framework's contract (kube-scheduler's framework/interface.go): statuses, the
// node snapshot plugins read, cycle state, and one small interface per extension point.
import type { coreV1Node, coreV1Pod, coreV1Volume, storageV1 } from "@kubeplane/api";

export type Pod = coreV1Pod.Pod;
export type Node = coreV1Node.Node;
export type PersistentVolumeClaim = coreV1Volume.PersistentVolumeClaim;
export type PersistentVolume = coreV1Volume.PersistentVolume;
export type StorageClass = storageV1.StorageClass;

/** A plugin's verdict. Unschedulable is an expected outcome, not an error. */
export enum Code {
  Success = 0,
  /** Something broke (not the pod's fault): the pod is retried with back-off. */
  Error = 1,
  /** The pod does not fit this node now; preemption might help. */
  Unschedulable = 2,
  /** The pod can never fit this node (e.g. nodeSelector mismatch); preemption cannot help. */
  UnschedulableAndUnresolvable = 3,
  /** The plugin has nothing to do for this pod (PreFilter/PreScore): its Filter/Score are skipped. */
  Skip = 4,
}

export interface Status {
  code: Code;
  /** Human reasons, aggregated into "0/5 nodes are available: 3 Insufficient cpu, …". */
  reasons: string[];
  /** The plugin that returned it. */
  plugin?: string;
}

export const SUCCESS: Status = Object.freeze({ code: Code.Success, reasons: [] }) as Status;
export const SKIP: Status = Object.freeze({ code: Code.Skip, reasons: [] }) as Status;

export function unschedulable(...reasons: string[]): Status {
  return { code: Code.Unschedulable, reasons };
}
export function unresolvable(...reasons: string[]): Status {
  return { code: Code.UnschedulableAndUnresolvable, reasons };
}
export function errorStatus(reason: string): Status {
  return { code: Code.Error, reasons: [reason] };
}
export const isSuccess = (s: Status): boolean => s.code === Code.Success;

/** Amounts in the scheduler's units: cpu in millicores, memory and storage in bytes, pods a count. */
export interface Resource {
  milliCpu: number;
  memory: number;
  ephemeralStorage: number;
  /** Allowed pods (allocatable) or pods counted (requested). */
  pods: number;
  /** Extended resources (e.g. "nvidia.com/gpu") by name. */
  scalar: Record<string, number>;
}

/** A pod as the scheduler caches it: the object plus what is computed once per pod. */
export interface PodInfo {
  readonly pod: Pod;
  /** namespace/name. */
  readonly key: string;
  /**
   * Effective requests: max(sum of containers, max of init containers) per resource, as
   * kube-scheduler's computePodResourceRequest (pods counts 1).
   */
  readonly requests: Resource;
  /** Requests with kube-scheduler's non-zero defaults (100m cpu, 200Mi memory) for scoring. */
  readonly nonZeroRequests: Resource;
}

/** One node and the pods on it (bound or assumed), with running sums. Read-only for plugins. */
export interface NodeInfo {
  readonly name: string;
  readonly node: Node;
  readonly pods: readonly PodInfo[];
  /** Pods on the node that have (required or preferred) pod affinity or anti-affinity. */
  readonly podsWithAffinity: readonly PodInfo[];
  /** Pods on the node with required pod anti-affinity. */
  readonly podsWithRequiredAntiAffinity: readonly PodInfo[];
  readonly allocatable: Resource;
  /** Sum of `requests` of its pods. */
  readonly requested: Resource;
  /** Sum of `nonZeroRequests` of its pods. */
  readonly nonZeroRequested: Resource;
  /** Host ports in use: `${protocol}/${hostIP || "0.0.0.0"}/${port}`. */
  readonly usedPorts: ReadonlySet<string>;
  /** Images on the node (status.images) by every name, with size and how many nodes have it. */
  readonly imageStates: ReadonlyMap<string, { sizeBytes: number; numNodes: number }>;
  /** Bumped on every change; lets the snapshot copy only what changed. */
  readonly generation: number;
}

/** The cluster as one scheduling cycle sees it: consistent for the whole cycle. */
export interface Snapshot {
  list(): readonly NodeInfo[];
  get(nodeName: string): NodeInfo | undefined;
  readonly numNodes: number;
  /** Nodes with at least one pod having pod (anti-)affinity (for InterPodAffinity). */
  havePodsWithAffinity(): readonly NodeInfo[];
  havePodsWithRequiredAntiAffinity(): readonly NodeInfo[];
}

/**
 * Per-cycle scratch space: PreFilter/PreScore write what Filter/Score read. Values are treated
 * as immutable: a plugin that changes its state (PreFilter's addPod/removePod) writes a new value,
 * so `clone()` can share them and a clone never changes what the original holds.
 */
export class CycleState {
  private readonly data: Map<string, unknown>;
  /** Whether this cycle times each plugin (scheduler_plugin_execution_duration_seconds); set for a sample of cycles. */
  recordPluginMetrics = false;
  /**
   * Filter time per plugin and status code summed over this cycle's nodes (key `plugin\0code`),
   * observed once per cycle: one histogram observation per node and plugin cost more than the
   * filters themselves. Not copied by clone (what-if runs are not timed).
   */
  readonly filterSeconds = new Map<string, number>();
  constructor(data?: ReadonlyMap<string, unknown>) {
    this.data = new Map(data);
  }
  read<T>(key: string): T | undefined {
    return this.data.get(key) as T | undefined;
  }
  write(key: string, value: unknown): void {
    this.data.set(key, value);
  }
  /** A copy for a what-if (nominated pods, preemption's dry run): writes to it do not reach this one. */
  clone(): CycleState {
    const copy = new CycleState(this.data);
    copy.recordPluginMetrics = this.recordPluginMetrics;
    return copy;
  }
}

/**
 * A cluster change that could make an unschedulable pod fit (kube-scheduler's ClusterEvent,
 * simplified to resource and action). "UnschedulableTimeout" and "BindFailure" retry every pod.
 */
export type ClusterEvent =
  | "NodeAdd"
  | "NodeUpdate"
  | "AssignedPodAdd"
  | "AssignedPodDelete"
  | "AssignedPodUpdate"
  | "UnschedulableTimeout"
  | "BindFailure"
  | "PvcAdd"
  | "PvcUpdate"
  | "PvAdd"
  | "PvUpdate"
  | "StorageClassAdd";

export interface Plugin {
  readonly name: string;
  /**
   * The cluster events after which a pod this plugin rejected may fit (kube-scheduler's
   * EnqueueExtensions.EventsToRegister). A plugin without it is assumed helped by any event.
   * Called once, when the scheduler is built.
   */
  eventsToRegister?(): readonly ClusterEvent[];
}

export interface PreFilterResult {
  status: Status;
  /** When set, only these nodes can fit (e.g. NodeName, NodeAffinity on metadata.name). */
  nodeNames?: ReadonlySet<string>;
}

/**
 * A PreFilter plugin whose state depends on other pods may implement addPod/removePod
 * (kube-scheduler's PreFilterExtensions): they update the state in `state` as if `podToAdd`/`podToRemove`
 * were added to/removed from `node`, for nominated pods and preemption's dry runs. They run only
 * after the plugin's preFilter returned Success for this state, and must write a new value (never
 * mutate the old one: the state may be a clone sharing it).
 */
export interface PreFilterPlugin extends Plugin {
  preFilter(state: CycleState, pod: PodInfo, snapshot: Snapshot): PreFilterResult;
  addPod?(state: CycleState, podToSchedule: PodInfo, podToAdd: PodInfo, node: NodeInfo): Status;
  removePod?(state: CycleState, podToSchedule: PodInfo, podToRemove: PodInfo, node: NodeInfo): Status;
}

export interface FilterPlugin extends Plugin {
  /** Whether the pod fits `node`; called concurrently-safe (no shared mutation). */
  filter(state: CycleState, pod: PodInfo, node: NodeInfo): Status;
}

export interface PostFilterResult {
  status: Status;
  /** The node the pod should be retried on (preemption's nominatedNodeName). */
  nominatedNodeName?: string;
}

export interface PostFilterPlugin extends Plugin {
  /** Runs when no node fit: `statuses` holds each node's failing filter status. */
  postFilter(state: CycleState, pod: PodInfo, snapshot: Snapshot, statuses: ReadonlyMap<string, Status>, signal: AbortSignal): Promise<PostFilterResult>;
}

export interface PreScorePlugin extends Plugin {
  preScore(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[], snapshot: Snapshot): Status;
}

export const MAX_NODE_SCORE = 100;
export const MIN_NODE_SCORE = 0;

export interface ScorePlugin extends Plugin {
  /** A raw score for the node; after `normalizeScores` (if any) scores must be in 0..MAX_NODE_SCORE. */
  score(state: CycleState, pod: PodInfo, node: NodeInfo): number;
  /**
   * Rescales `scores` in place to 0..MAX_NODE_SCORE; `scores[i]` is `nodes[i]`'s (kube-scheduler's
   * NodeScoreList, as arrays: this runs over hundreds of nodes every cycle).
   */
  normalizeScores?(state: CycleState, pod: PodInfo, scores: Float64Array, nodes: readonly NodeInfo[]): void;
}

export interface ReservePlugin extends Plugin {
  reserve(state: CycleState, pod: PodInfo, nodeName: string): Status;
  unreserve(state: CycleState, pod: PodInfo, nodeName: string): void;
}

export interface BindPlugin extends Plugin {
  bind(state: CycleState, pod: PodInfo, nodeName: string, signal: AbortSignal): Promise<Status>;
}

/**
 * The storage objects volume plugins read: the scheduler's informer caches, current (not
 * snapshotted) and empty until the scheduler is attached to them. Read-only for plugins.
 */
export interface StorageListers {
  claim(namespace: string, name: string): PersistentVolumeClaim | undefined;
  volume(name: string): PersistentVolume | undefined;
  storageClass(name: string): StorageClass | undefined;
}

/** Storage listers with nothing in them (a scheduler not attached to storage informers, tests). */
export const NO_STORAGE: StorageListers = Object.freeze({ claim: () => undefined, volume: () => undefined, storageClass: () => undefined });

/** What a plugin's constructor gets: its arguments from the profile and the scheduler's handle. */
export interface PluginHandle {
  /** PersistentVolumeClaims, PersistentVolumes and StorageClasses (VolumeBinding). */
  storage(): StorageListers;
  /** The snapshot of the cycle in progress (for PostFilter). */
  snapshot(): Snapshot;
  /** Evicts `pod` for preemption (a delete through the apiserver). */
  evict(pod: Pod, reason: string): Promise<void>;
  /** Sets a pending pod's status.nominatedNodeName. */
  nominate(pod: Pod, nodeName: string): Promise<void>;
  /**
   * This profile's filters with the higher-or-equal-priority pods nominated to `node` counted
   * (kube-scheduler's RunFilterPluginsWithNominatedPods), for PostFilter's dry runs.
   */
  runFilters(state: CycleState, pod: PodInfo, node: NodeInfo): Status;
  /** This profile's PreFilter addPod extensions: `state` as if `podToAdd` ran on `node`. */
  runPreFilterAddPod(state: CycleState, podToSchedule: PodInfo, podToAdd: PodInfo, node: NodeInfo): Status;
  /** This profile's PreFilter removePod extensions: `state` as if `podToRemove` left `node`. */
  runPreFilterRemovePod(state: CycleState, podToSchedule: PodInfo, podToRemove: PodInfo, node: NodeInfo): Status;
}

/**
 * What DefaultBinder needs beyond PluginHandle: a way to POST a Binding. The scheduler's handle
 * provides it; DefaultBinder asks for it (PluginHandle has no client in its contract).
 */
export interface BindingHandle {
  /** Creates pods/binding for `pod` (with its uid as precondition); rejects with the ApiError. */
  bindPod(pod: Pod, nodeName: string, signal: AbortSignal): Promise<void>;
}

/** Pods nominated to nodes (status.nominatedNodeName, not yet bound): what preemption reserved. */
export interface PodNominatorReader {
  /** The pods nominated to `nodeName`, in no particular order. */
  nominatedPodsForNode(nodeName: string): readonly PodInfo[];
}

/** A plugin constructor: `args` is the plugin's `args` object from the profile (may be undefined). */
export type PluginFactory = (args: Record<string, unknown> | undefined, handle: PluginHandle) => Plugin;
