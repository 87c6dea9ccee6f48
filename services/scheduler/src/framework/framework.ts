// The framework runner of one profile: runs each extension point's plugins (kube-scheduler's frameworkImpl);
// the algorithm that drives it through a scheduling cycle is in ../schedule-one.ts.
import {
  Code,
  SUCCESS,
  errorStatus,
  isSuccess,
  type BindPlugin,
  type CycleState,
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

/** Seconds since `start` (a process.hrtime.bigint() reading), for the duration metrics. */
export function seconds(start: bigint): number {
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
  /**
   * One node's weighted score per Score plugin (index-aligned with `plugins.score`), for
   * opportunistic batching: plugins without normalizeScores score the node again; a normalising
   * plugin's score depends on every node's, so its value is taken from `previous` (the batch's).
   * A plugin PreScore skipped scores 0. Call after runPreScorePlugins of this cycle.
   */
  rescoreNode(state: CycleState, pod: PodInfo, node: NodeInfo, previous: Float64Array): { status: Status; scores: Float64Array; total: number } {
    const skip = state.read<Set<string>>(SKIP_SCORE);
    const scores = new Float64Array(this.plugins.score.length);
    let total = 0;
    for (let i = 0; i < this.plugins.score.length; i++) {
      const { plugin, weight } = this.plugins.score[i]!;
      if (skip?.has(plugin.name)) continue;
      if (plugin.normalizeScores) scores[i] = previous[i] ?? 0;
      else {
        try {
          scores[i] = plugin.score(state, pod, node) * weight;
        } catch (err) {
          return { status: failed(plugin.name, err), scores, total };
        }
      }
      total += scores[i]!;
    }
    return { status: SUCCESS, scores, total };
  }

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
