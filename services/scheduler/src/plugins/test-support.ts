// Builders for plugin unit tests: nodes, pods, an in-memory Snapshot and a recording PluginHandle.
import { coreV1Node, coreV1Pod } from "@kubeplane/api";
import { Code, CycleState, NO_STORAGE, SUCCESS } from "../framework/interface.js";
import type { Node, NodeInfo, Pod, PodInfo, PluginHandle, Snapshot, Status, StorageListers } from "../framework/interface.js";
import { nodeInfoOf, type MutableNodeInfo } from "../framework/node-info.js";
import { newPodInfo } from "../framework/pod-info.js";
import { NodeResourcesFit } from "./node-resources-fit.js";

export interface NodeOptions {
  labels?: Record<string, string>;
  cpu?: string;
  memory?: string;
  pods?: string;
}

/** A node with `labels` (plus kubernetes.io/hostname) and allocatable cpu/memory/pods. */
export function makeNode(name: string, opts: NodeOptions = {}): Node {
  return coreV1Node.Node.fromPartial({
    metadata: { name, labels: { "kubernetes.io/hostname": name, ...opts.labels } },
    status: { allocatable: { cpu: opts.cpu ?? "4", memory: opts.memory ?? "8Gi", pods: opts.pods ?? "110" } },
  });
}

export interface PodOptions {
  namespace?: string;
  labels?: Record<string, string>;
  nodeName?: string;
  cpu?: string;
  memory?: string;
  priority?: number;
  preemptionPolicy?: string;
  startTime?: string;
  deleting?: boolean;
  spec?: Parameters<typeof coreV1Pod.PodSpec.fromPartial>[0];
}

/** A pod with one container requesting `cpu`/`memory`; `spec` is merged over the defaults. */
export function makePod(name: string, opts: PodOptions = {}): Pod {
  const requests: Record<string, string> = {};
  if (opts.cpu) requests["cpu"] = opts.cpu;
  if (opts.memory) requests["memory"] = opts.memory;
  return coreV1Pod.Pod.fromPartial({
    metadata: {
      name,
      namespace: opts.namespace ?? "default",
      uid: `uid-${name}`,
      labels: opts.labels ?? {},
      deletionTimestamp: opts.deleting ? "2026-01-01T00:00:00Z" : "",
    },
    spec: {
      containers: [{ name: "c", image: "busybox", resources: { requests } }],
      nodeName: opts.nodeName ?? "",
      priority: opts.priority,
      preemptionPolicy: opts.preemptionPolicy,
      ...opts.spec,
    },
    status: { startTime: opts.startTime ?? "" },
  });
}

export const podInfo = (name: string, opts: PodOptions = {}): PodInfo => newPodInfo(makePod(name, opts));

/** A Snapshot over fixed NodeInfos, as the scheduler cache hands one to a cycle. */
export class FakeSnapshot implements Snapshot {
  private readonly byName: Map<string, MutableNodeInfo>;
  constructor(readonly infos: readonly MutableNodeInfo[]) {
    this.byName = new Map(infos.map((i) => [i.name, i]));
  }
  list(): readonly NodeInfo[] {
    return this.infos;
  }
  get(nodeName: string): NodeInfo | undefined {
    return this.byName.get(nodeName);
  }
  get numNodes(): number {
    return this.infos.length;
  }
  havePodsWithAffinity(): readonly NodeInfo[] {
    return this.infos.filter((i) => i.podsWithAffinity.length > 0);
  }
  havePodsWithRequiredAntiAffinity(): readonly NodeInfo[] {
    return this.infos.filter((i) => i.podsWithRequiredAntiAffinity.length > 0);
  }
}

/** `nodes` with the pods whose spec.nodeName names them. */
export function snapshotOf(nodes: readonly Node[], pods: readonly Pod[] = []): FakeSnapshot {
  return new FakeSnapshot(
    nodes.map((n) =>
      nodeInfoOf(
        n,
        pods.filter((p) => p.spec?.nodeName === n.metadata?.name).map(newPodInfo),
      ),
    ),
  );
}

/** The real NodeResourcesFit's PreFilter and Filter, as the profile's filters preemption re-runs. */
export function fitsResources(state: CycleState, pod: PodInfo, node: NodeInfo): Status {
  const fit = new NodeResourcesFit(undefined);
  fit.preFilter(state, pod);
  return fit.filter(state, pod, node);
}

/** A PluginHandle that records evictions and nominations instead of calling the apiserver. */
export class FakeHandle implements PluginHandle {
  readonly evicted: { pod: Pod; reason: string }[] = [];
  readonly nominated: { pod: Pod; nodeName: string }[] = [];
  constructor(
    private readonly snap: Snapshot,
    readonly filters: (state: CycleState, pod: PodInfo, node: NodeInfo) => Status = fitsResources,
  ) {}
  snapshot(): Snapshot {
    return this.snap;
  }
  storage(): StorageListers {
    return NO_STORAGE;
  }
  evict(pod: Pod, reason: string): Promise<void> {
    this.evicted.push({ pod, reason });
    return Promise.resolve();
  }
  nominate(pod: Pod, nodeName: string): Promise<void> {
    this.nominated.push({ pod, nodeName });
    return Promise.resolve();
  }
  runFilters(state: CycleState, pod: PodInfo, node: NodeInfo): Status {
    return this.filters(state, pod, node);
  }
  /** No-op by default (plugins without PreFilter state); tests plug a framework's extensions in. */
  runPreFilterAddPod: PluginHandle["runPreFilterAddPod"] = () => SUCCESS;
  runPreFilterRemovePod: PluginHandle["runPreFilterRemovePod"] = () => SUCCESS;
}

/** Each node's status from `filter`, as the framework hands them to PostFilter. */
export function filterStatuses(snapshot: Snapshot, pod: PodInfo, filter = fitsResources): Map<string, Status> {
  const state = new CycleState();
  return new Map(snapshot.list().map((n) => [n.name, filter(state, pod, n)]));
}

export const names = (pods: readonly { pod: Pod }[]): string[] => pods.map((p) => p.pod.metadata?.name ?? "");
export { Code };
