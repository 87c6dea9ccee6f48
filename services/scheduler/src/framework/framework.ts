// The framework runner of one profile: runs each extension point's plugins, and the scheduling
// algorithm over them (PreFilter → Filter over enough nodes → PreScore → Score → pick a host).
import {
  Code,
  CycleState,
  SUCCESS,
  errorStatus,
  isSuccess,
  type BindPlugin,
  type FilterPlugin,
  type NodeInfo,
  type PodInfo,
  type PodNominatorReader,
  type PostFilterPlugin,
  type PostFilterResult,
  type PreFilterPlugin,
  type PreScorePlugin,
  type ReservePlugin,
  type ScorePlugin,
  type Snapshot,
  type Status,
} from "./interface.js";
import { newDiagnosis, type Diagnosis } from "./diagnosis.js";
import { MutableNodeInfo } from "./node-info.js";

export type ExtensionPoint = "PreFilter" | "Filter" | "PostFilter" | "PreScore" | "Score" | "Reserve" | "Unreserve" | "Bind";

/** The plugins of one profile, per extension point, in the order they run. */
export interface FrameworkPlugins {
  preFilter: PreFilterPlugin[];
  filter: FilterPlugin[];
  postFilter: PostFilterPlugin[];
  preScore: PreScorePlugin[];
  score: Array<{ plugin: ScorePlugin; weight: number }>;
  reserve: ReservePlugin[];
  bind: BindPlugin[];
}

export interface FrameworkOptions {
  /** The profile's schedulerName. */
  profileName: string;
  plugins: FrameworkPlugins;
  /** Told how long each extension point took (scheduler_framework_extension_point_duration_seconds). */
  observe?: (point: ExtensionPoint, status: Status, seconds: number) => void;
  /**
   * Told how long one plugin took at one extension point (scheduler_plugin_execution_duration_seconds),
   * only in cycles whose CycleState has recordPluginMetrics set (a sample, as timing every call costs).
   * Filter and Score are told once per cycle, their time summed over the nodes (Filter: per status).
   */
  observePlugin?: (plugin: string, point: ExtensionPoint, status: Status, seconds: number) => void;
  /** Pods nominated to nodes, counted by runFilterPluginsWithNominatedPods; none when absent. */
  nominator?: PodNominatorReader;
}

/** One node's total and per-plugin weighted scores. */
export interface NodeScore {
  name: string;
  total: number;
  scores: Record<string, number>;
}

/** What runScorePlugins computed, index-aligned with the nodes it was given. */
export interface ScoreResult {
  status: Status;
  totals: Float64Array;
  byPlugin: Array<{ plugin: string; scores: Float64Array }>;
}

/** The per-node view of a ScoreResult (explain, tests). */
export function nodeScores(nodes: readonly NodeInfo[], result: ScoreResult): NodeScore[] {
  return nodes.map((n, i) => ({
    name: n.name,
    total: result.totals[i]!,
    scores: Object.fromEntries(result.byPlugin.map((p) => [p.plugin, p.scores[i]!])),
  }));
}

const SKIP_FILTER = "framework/skip-filter";
/** The Filter plugins PreFilter did not skip, listed once per cycle for the node loop. */
const ACTIVE_FILTERS = "framework/active-filters";
const SKIP_SCORE = "framework/skip-score";

function seconds(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

function failed(plugin: string, err: unknown): Status {
  return { ...errorStatus(`running plugin ${plugin}: ${(err as Error)?.message ?? String(err)}`), plugin };
}

/**
 * A profile's plugins behind one call per extension point (kube-scheduler's frameworkImpl).
 * A plugin that throws yields an Error status naming it. Runs on the event loop only.
 */
export class Framework {
  readonly profileName: string;
  readonly plugins: FrameworkPlugins;
  /** Records an extension point's duration (the Filter phase is timed by the algorithm). */
  readonly observe: NonNullable<FrameworkOptions["observe"]>;
  private readonly observePlugin: FrameworkOptions["observePlugin"];
  private readonly nominator: PodNominatorReader | undefined;

  constructor(opts: FrameworkOptions) {
    this.profileName = opts.profileName;
    this.plugins = opts.plugins;
    this.observe = opts.observe ?? (() => undefined);
    this.nominator = opts.nominator;
    this.observePlugin = opts.observePlugin;
  }

  /** The start time (ms) of a plugin call worth timing in this cycle, else undefined. */
  private pluginStart(state: CycleState): number | undefined {
    return state.recordPluginMetrics && this.observePlugin ? performance.now() : undefined;
  }

  private pluginDone(start: number | undefined, plugin: string, point: ExtensionPoint, status: Status): void {
    if (start !== undefined) this.observePlugin!(plugin, point, status, (performance.now() - start) / 1000);
  }

  /** Reports the Filter time `runFilterPlugins` summed in `state` over the cycle's nodes, and clears it. */
  flushFilterTimings(state: CycleState): void {
    if (!this.observePlugin) return;
    for (const [key, secs] of state.filterSeconds) {
      const [plugin, code] = key.split("\0") as [string, string];
      this.observePlugin(plugin, "Filter", { code: Number(code) as Code, reasons: [] }, secs);
    }
    state.filterSeconds.clear();
  }

  /** Runs PreFilter; the node names of every plugin that names some are intersected. */
  runPreFilterPlugins(state: CycleState, pod: PodInfo, snapshot: Snapshot): { status: Status; nodeNames?: Set<string> } {
    const start = process.hrtime.bigint();
    const skip = new Set<string>();
    let nodeNames: Set<string> | undefined;
    let status: Status = SUCCESS;
    for (const p of this.plugins.preFilter) {
      let r;
      const t = this.pluginStart(state);
      try {
        r = p.preFilter(state, pod, snapshot);
      } catch (err) {
        status = failed(p.name, err);
        break;
      }
      this.pluginDone(t, p.name, "PreFilter", r.status);
      if (r.status.code === Code.Skip) {
        skip.add(p.name);
        continue;
      }
      if (!isSuccess(r.status)) {
        status = { ...r.status, plugin: p.name };
        break;
      }
      if (r.nodeNames) nodeNames = nodeNames ? new Set([...nodeNames].filter((n) => r.nodeNames!.has(n))) : new Set(r.nodeNames);
    }
    state.write(SKIP_FILTER, skip);
    state.write(ACTIVE_FILTERS, skip.size ? this.plugins.filter.filter((p) => !skip.has(p.name)) : this.plugins.filter);
    this.observe("PreFilter", status, seconds(start));
    return nodeNames ? { status, nodeNames } : { status };
  }

  /** Whether the pod fits `node`: the first failing Filter's status (with its plugin), else Success. */
  runFilterPlugins(state: CycleState, pod: PodInfo, node: NodeInfo): Status {
    const active = state.read<readonly FilterPlugin[]>(ACTIVE_FILTERS) ?? this.plugins.filter;
    for (let i = 0; i < active.length; i++) {
      const p = active[i]!;
      let s: Status;
      const t = this.pluginStart(state);
      try {
        s = p.filter(state, pod, node);
      } catch (err) {
        return failed(p.name, err);
      }
      if (t !== undefined) {
        const key = `${p.name}\0${s.code}`;
        state.filterSeconds.set(key, (state.filterSeconds.get(key) ?? 0) + (performance.now() - t) / 1000);
      }
      if (!isSuccess(s)) return s.plugin ? s : { ...s, plugin: p.name };
    }
    return SUCCESS;
  }

  /**
   * Filters with the nominated pods of `node` (kube-scheduler's RunFilterPluginsWithNominatedPods):
   * pods nominated there with priority ≥ the pod's are first added to a copy of the node and of
   * the state (PreFilter's addPod), so room a preemptor freed is not taken by a lower-priority
   * pod; the filters then run again without them, since the nominated pods may never land there
   * (e.g. anti-affinity towards them must not block the pod). Without such pods: one plain run.
   */
  runFilterPluginsWithNominatedPods(state: CycleState, pod: PodInfo, node: NodeInfo): Status {
    const onNode = this.nominator?.nominatedPodsForNode(node.name);
    const priority = pod.pod.spec?.priority ?? 0;
    const nominated = onNode?.length ? onNode.filter((p) => p.key !== pod.key && (p.pod.spec?.priority ?? 0) >= priority) : [];
    if (nominated.length > 0) {
      const stateCopy = state.clone();
      const nodeCopy = node instanceof MutableNodeInfo ? node.clone() : MutableNodeInfo.from(node);
      for (const p of nominated) {
        nodeCopy.addPod(p);
        const s = this.runPreFilterExtensionAddPod(stateCopy, pod, p, nodeCopy);
        if (!isSuccess(s)) return s;
      }
      const s = this.runFilterPlugins(stateCopy, pod, nodeCopy);
      if (!isSuccess(s)) return s;
    }
    return this.runFilterPlugins(state, pod, node);
  }

  /** PreFilter's addPod extensions of the plugins whose PreFilter ran (not skipped). */
  runPreFilterExtensionAddPod(state: CycleState, pod: PodInfo, podToAdd: PodInfo, node: NodeInfo): Status {
    return this.runPreFilterExtension("addPod", state, pod, podToAdd, node);
  }

  /** PreFilter's removePod extensions of the plugins whose PreFilter ran (not skipped). */
  runPreFilterExtensionRemovePod(state: CycleState, pod: PodInfo, podToRemove: PodInfo, node: NodeInfo): Status {
    return this.runPreFilterExtension("removePod", state, pod, podToRemove, node);
  }

  private runPreFilterExtension(which: "addPod" | "removePod", state: CycleState, pod: PodInfo, other: PodInfo, node: NodeInfo): Status {
    const skip = state.read<Set<string>>(SKIP_FILTER);
    for (const p of this.plugins.preFilter) {
      const ext = p[which];
      if (!ext || skip?.has(p.name)) continue;
      let s: Status;
      try {
        s = ext.call(p, state, pod, other, node);
      } catch (err) {
        return failed(p.name, err);
      }
      if (!isSuccess(s)) return { ...errorStatus(`running ${which} on PreFilter plugin ${p.name}: ${s.reasons.join(", ")}`), plugin: p.name };
    }
    return SUCCESS;
  }

  /** Runs PostFilter plugins until one succeeds (e.g. preemption nominated a node). */
  async runPostFilterPlugins(state: CycleState, pod: PodInfo, snapshot: Snapshot, statuses: ReadonlyMap<string, Status>, signal: AbortSignal): Promise<PostFilterResult> {
    const start = process.hrtime.bigint();
    let result: PostFilterResult = { status: { code: Code.Unschedulable, reasons: [] } };
    for (const p of this.plugins.postFilter) {
      try {
        const t = this.pluginStart(state);
        const r = await p.postFilter(state, pod, snapshot, statuses, signal);
        this.pluginDone(t, p.name, "PostFilter", r.status);
        if (isSuccess(r.status)) {
          result = r;
          break;
        }
        if (r.status.code === Code.Error) {
          result = { ...r, status: { ...r.status, plugin: p.name } };
          break;
        }
        result = { ...r, status: { ...r.status, plugin: p.name, reasons: [...result.status.reasons, ...r.status.reasons] } };
      } catch (err) {
        result = { status: failed(p.name, err) };
        break;
      }
    }
    this.observe("PostFilter", result.status, seconds(start));
    return result;
  }

  runPreScorePlugins(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[], snapshot: Snapshot): Status {
    const start = process.hrtime.bigint();
    const skip = new Set<string>();
    let status: Status = SUCCESS;
    for (const p of this.plugins.preScore) {
      let s: Status;
      const t = this.pluginStart(state);
      try {
        s = p.preScore(state, pod, nodes, snapshot);
      } catch (err) {
        status = failed(p.name, err);
        break;
      }
      this.pluginDone(t, p.name, "PreScore", s);
      if (s.code === Code.Skip) skip.add(p.name);
      else if (!isSuccess(s)) {
        status = { ...s, plugin: p.name };
        break;
      }
    }
    state.write(SKIP_SCORE, skip);
    this.observe("PreScore", status, seconds(start));
    return status;
  }

  /**
   * Score, normalizeScores and weights (kube-scheduler's RunScorePlugins): `totals[i]` is the
   * weighted sum for `nodes[i]`, `byPlugin` each plugin's weighted scores in the same order.
   * Arrays, not per-node objects: this runs over hundreds of nodes in every cycle.
   */
  runScorePlugins(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[]): ScoreResult {
    const start = process.hrtime.bigint();
    const skip = state.read<Set<string>>(SKIP_SCORE);
    const n = nodes.length;
    const totals = new Float64Array(n);
    const byPlugin: ScoreResult["byPlugin"] = [];
    let status: Status = SUCCESS;
    for (const { plugin, weight } of this.plugins.score) {
      if (skip?.has(plugin.name)) continue;
      const scores = new Float64Array(n);
      try {
        // Timed over all nodes (one sample per plugin and cycle), normalisation included.
        const t = this.pluginStart(state);
        for (let i = 0; i < n; i++) scores[i] = plugin.score(state, pod, nodes[i]!);
        plugin.normalizeScores?.(state, pod, scores, nodes);
        this.pluginDone(t, plugin.name, "Score", SUCCESS);
      } catch (err) {
        status = failed(plugin.name, err);
        break;
      }
      for (let i = 0; i < n; i++) {
        scores[i] = scores[i]! * weight;
        totals[i] = totals[i]! + scores[i]!;
      }
      byPlugin.push({ plugin: plugin.name, scores });
    }
    this.observe("Score", status, seconds(start));
    return { status, totals, byPlugin };
  }

  runReservePlugins(state: CycleState, pod: PodInfo, nodeName: string): Status {
    const start = process.hrtime.bigint();
    let status: Status = SUCCESS;
    for (const p of this.plugins.reserve) {
      try {
        const t = this.pluginStart(state);
        const s = p.reserve(state, pod, nodeName);
        this.pluginDone(t, p.name, "Reserve", s);
        if (!isSuccess(s)) {
          status = { ...s, plugin: p.name };
          break;
        }
      } catch (err) {
        status = failed(p.name, err);
        break;
      }
    }
    this.observe("Reserve", status, seconds(start));
    return status;
  }

  /** Unreserve runs every Reserve plugin in reverse order; failures are ignored. */
  runUnreservePlugins(state: CycleState, pod: PodInfo, nodeName: string): void {
    for (const p of [...this.plugins.reserve].reverse()) {
      try {
        p.unreserve(state, pod, nodeName);
      } catch {
        // Unreserve must not fail; a broken plugin cannot stop the others from cleaning up.
      }
    }
  }

  /** The first Bind plugin that does not Skip binds the pod. */
  async runBindPlugins(state: CycleState, pod: PodInfo, nodeName: string, signal: AbortSignal): Promise<Status> {
    const start = process.hrtime.bigint();
    let status: Status = errorStatus("no bind plugin bound the pod");
    for (const p of this.plugins.bind) {
      try {
        const t = this.pluginStart(state);
        const s = await p.bind(state, pod, nodeName, signal);
        this.pluginDone(t, p.name, "Bind", s);
        if (s.code === Code.Skip) continue;
        status = isSuccess(s) ? s : { ...s, plugin: p.name };
      } catch (err) {
        status = failed(p.name, err);
      }
      break;
    }
    this.observe("Bind", status, seconds(start));
    return status;
  }
}

/** How many feasible nodes to find before scoring (kube-scheduler's numFeasibleNodesToFind). */
export function numFeasibleNodesToFind(percentageOfNodesToScore: number, numAllNodes: number): number {
  const minFeasibleNodesToFind = 100;
  const minFeasibleNodesPercentageToFind = 5;
  if (numAllNodes < minFeasibleNodesToFind) return numAllNodes;
  let percentage = percentageOfNodesToScore;
  if (percentage <= 0) {
    percentage = Math.max(50 - Math.floor(numAllNodes / 125), minFeasibleNodesPercentageToFind);
  }
  if (percentage >= 100) return numAllNodes;
  return Math.max(Math.floor((numAllNodes * percentage) / 100), minFeasibleNodesToFind);
}

export interface ScheduleOptions {
  /** 0 for kube-scheduler's adaptive default. */
  percentageOfNodesToScore: number;
  /** [0,1) random source for tie-breaks (tests pass a fixed one). */
  random?: () => number;
}

export type ScheduleResult =
  | { ok: true; nodeName: string; evaluatedNodes: number; feasibleNodes: number }
  | { ok: false; status: Status; diagnosis: Diagnosis };

/**
 * One scheduling attempt of `pod` against `snapshot` (kube-scheduler's schedulePod): no I/O.
 * Filters start where the previous attempt stopped, so consecutive pods spread over the nodes,
 * and stop after numFeasibleNodesToFind feasible ones. `ok: false` with code Unschedulable(*)
 * means no node fit (diagnosis says why), with code Error that a plugin failed.
 */
export class SchedulingAlgorithm {
  private nextStartNodeIndex = 0;
  private readonly random: () => number;

  constructor(private readonly opts: ScheduleOptions) {
    this.random = opts.random ?? Math.random;
  }

  schedule(fwk: Framework, state: CycleState, pod: PodInfo, snapshot: Snapshot): ScheduleResult {
    const all = snapshot.list();
    const diagnosis = newDiagnosis(all.length);
    if (all.length === 0) return { ok: false, status: { code: Code.Unschedulable, reasons: ["no nodes available to schedule pods"] }, diagnosis };
    const pre = fwk.runPreFilterPlugins(state, pod, snapshot);
    if (!isSuccess(pre.status)) {
      if (pre.status.code !== Code.Error) diagnosis.preFilterStatus = pre.status;
      return { ok: false, status: pre.status, diagnosis };
    }
    const filterStart = process.hrtime.bigint();
    const feasible = this.findFeasible(fwk, state, pod, snapshot, pre.nodeNames, diagnosis);
    fwk.observe("Filter", SUCCESS, seconds(filterStart));
    fwk.flushFilterTimings(state);
    if ("error" in feasible) return { ok: false, status: feasible.error, diagnosis };
    const nodes = feasible.nodes;
    if (nodes.length === 0) {
      return { ok: false, status: { code: Code.Unschedulable, reasons: [] }, diagnosis };
    }
    if (nodes.length === 1) return { ok: true, nodeName: nodes[0]!.name, evaluatedNodes: feasible.evaluated, feasibleNodes: 1 };
    const preScore = fwk.runPreScorePlugins(state, pod, nodes, snapshot);
    if (!isSuccess(preScore)) return { ok: false, status: preScore, diagnosis };
    const scored = fwk.runScorePlugins(state, pod, nodes);
    if (!isSuccess(scored.status)) return { ok: false, status: scored.status, diagnosis };
    return { ok: true, nodeName: nodes[this.selectHost(scored.totals)]!.name, evaluatedNodes: feasible.evaluated, feasibleNodes: nodes.length };
  }

  private findFeasible(
    fwk: Framework,
    state: CycleState,
    pod: PodInfo,
    snapshot: Snapshot,
    nodeNames: Set<string> | undefined,
    diagnosis: Diagnosis,
  ): { nodes: NodeInfo[]; evaluated: number } | { error: Status } {
    let candidates: readonly NodeInfo[] = snapshot.list();
    if (nodeNames) {
      const unsatisfied = { code: Code.UnschedulableAndUnresolvable, reasons: ["node(s) didn't satisfy plugin(s) in PreFilter"] };
      const picked: NodeInfo[] = [];
      for (const n of candidates) {
        if (nodeNames.has(n.name)) picked.push(n);
        else diagnosis.nodeStatuses.set(n.name, unsatisfied);
      }
      candidates = picked;
    }
    const total = candidates.length;
    const want = numFeasibleNodesToFind(this.opts.percentageOfNodesToScore, total);
    const nodes: NodeInfo[] = [];
    if (total === 0) return { nodes, evaluated: 0 };
    // With a nodeNames restriction the rotation is not applied (the list is not the full one).
    const start = nodeNames ? 0 : this.nextStartNodeIndex % total;
    let processed = 0;
    for (; processed < total && nodes.length < want; processed++) {
      const node = candidates[(start + processed) % total]!;
      const s = fwk.runFilterPluginsWithNominatedPods(state, pod, node);
      if (isSuccess(s)) nodes.push(node);
      else if (s.code === Code.Error) return { error: s };
      else diagnosis.nodeStatuses.set(node.name, s);
    }
    if (!nodeNames) this.nextStartNodeIndex = (start + processed) % total;
    return { nodes, evaluated: processed };
  }

  /** The index of the highest total; ties broken uniformly at random (reservoir sampling, as kube-scheduler). */
  selectHost(totals: Float64Array): number {
    let best = 0;
    let ties = 1;
    for (let i = 1; i < totals.length; i++) {
      const t = totals[i]!;
      if (t > totals[best]!) {
        best = i;
        ties = 1;
      } else if (t === totals[best]) {
        ties++;
        if (this.random() * ties < 1) best = i;
      }
    }
    return best;
  }
}

export { CycleState };
