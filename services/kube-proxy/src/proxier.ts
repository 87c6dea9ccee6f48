// The sync loop: turns the current Services and endpoints into nft transactions, coalesced, incremental after the first.
import type { Logger } from "@kubeplane/service-kit";
import type { KubeProxyMetrics } from "./metrics.js";
import { renderDelta, renderFull } from "./nft-render.js";
import type { NftRunner } from "./nft-runner.js";
import { stateCounts, type NftState } from "./nft-state.js";
import { FragmentCache, buildRuleset, type RulesetOptions } from "./ruleset.js";
import type { ServicePortInfo } from "./service-port.js";
import { SyncRunner } from "./sync-runner.js";

/** What a Proxier needs. */
export interface ProxierOptions {
  runner: NftRunner;
  ruleset: RulesetOptions;
  /** The current proxy model, read from the informers' caches at each sync. */
  servicePorts: () => readonly ServicePortInfo[];
  /** Least time between the starts of two syncs; changes in between are coalesced. */
  minSyncPeriodMs: number;
  /** Period of the full in-place rewrite (repairs anything changed behind kube-proxy's back). */
  syncPeriodMs: number;
  logger: Logger;
  metrics: KubeProxyMetrics;
}

/** What one sync did, for logs and tests. */
export interface SyncResult {
  kind: "full" | "partial" | "none";
  commands: number;
  durationMs: number;
}

const countCommands = (script: string): number => (script ? script.split("\n").length - 1 : 0);

/**
 * Keeps kube-proxy's nftables table equal to what the model says. Level-triggered: every sync
 * rebuilds the desired state from the caches and diffs it against the last state applied, so a
 * missed or repeated change notification is harmless. The first sync (and any sync after a
 * failed transaction, and every `syncPeriodMs`) is full: it rewrites the table as one
 * transaction and removes whatever kube-proxy does not want, including stale objects left by an
 * earlier run. Every other sync applies only the delta. Syncs never overlap. `changed` may be
 * called from any informer handler, also before `run`; `run` must be called once, after the
 * caches synced, so the first sync never programs a half-listed cluster.
 */
export class Proxier {
  private applied: NftState | undefined;
  private readonly fragments = new FragmentCache();
  private fullNeeded = true;
  private readonly runner: SyncRunner;
  private pendingServices = 0;
  private pendingEndpoints = 0;
  /** Syncs that succeeded. */
  syncs = 0;
  /** The last sync's result, once there was one. */
  lastResult: SyncResult | undefined;

  constructor(private readonly opts: ProxierOptions) {
    this.runner = new SyncRunner({
      sync: () => this.syncOnce(),
      minSyncPeriodMs: opts.minSyncPeriodMs,
      syncPeriodMs: opts.syncPeriodMs,
      onPeriodic: () => {
        this.fullNeeded = true;
        opts.metrics.lastQueuedTimestamp.set(Date.now() / 1000);
      },
    });
  }

  /** True once a sync succeeded (readiness). */
  get synced(): boolean {
    return this.syncs > 0;
  }

  /** True when no sync is queued or running. */
  get idle(): boolean {
    return this.runner.idle;
  }

  /** Notes a Service or EndpointSlice change and queues a sync (coalesced by minSyncPeriod). */
  changed(what: "service" | "endpoints"): void {
    const m = this.opts.metrics;
    if (what === "service") {
      m.serviceChanges.inc();
      m.serviceChangesPending.set(++this.pendingServices);
    } else {
      m.endpointChanges.inc();
      m.endpointChangesPending.set(++this.pendingEndpoints);
    }
    this.queue();
  }

  /** Queues a sync as soon as minSyncPeriod allows. */
  queue(): void {
    this.opts.metrics.lastQueuedTimestamp.set(Date.now() / 1000);
    this.runner.queue();
  }

  /** Syncs until `signal` aborts (the rules stay in place afterwards, as kube-proxy leaves them). */
  run(signal: AbortSignal): Promise<void> {
    this.opts.metrics.lastQueuedTimestamp.set(Date.now() / 1000);
    return this.runner.run(signal);
  }

  /** One sync; failures are logged and counted, and make the next sync a full one. Never rejects: false when it failed. */
  private async syncOnce(): Promise<boolean> {
    const { metrics: m, logger } = this.opts;
    this.pendingServices = this.pendingEndpoints = 0;
    m.serviceChangesPending.set(0);
    m.endpointChangesPending.set(0);
    const started = performance.now();
    try {
      const full = this.fullNeeded || !this.applied;
      this.fullNeeded = false;
      const desired = buildRuleset(this.opts.servicePorts(), this.opts.ruleset, this.fragments);
      const result = full || !this.applied ? await this.syncFull(desired) : await this.syncPartial(this.applied, desired);
      this.applied = desired;
      this.syncs++;
      const seconds = (performance.now() - started) / 1000;
      this.lastResult = { ...result, durationMs: seconds * 1000 };
      m.syncDuration.observe(seconds);
      if (result.kind === "full") m.fullSyncDuration.observe(seconds);
      else m.partialSyncDuration.observe(seconds);
      m.lastSyncTimestamp.set(Date.now() / 1000);
      const counts = stateCounts(desired);
      m.nftablesObjects.set({ kind: "chain" }, counts.chains);
      m.nftablesObjects.set({ kind: "rule" }, counts.rules);
      m.nftablesObjects.set({ kind: "map" }, counts.maps);
      m.nftablesObjects.set({ kind: "element" }, counts.elements);
      const fields = { sync: result.kind, commands: result.commands, ms: Math.round(seconds * 1000), chains: counts.chains };
      if (result.kind === "full") logger.info(fields, "synced proxy rules");
      else if (result.kind === "partial") logger.debug(fields, "synced proxy rules");
      return true;
    } catch (err) {
      this.fullNeeded = true;
      m.syncFailures.inc();
      logger.error({ err }, "syncing proxy rules failed; the next sync rewrites the whole table");
      return false;
    }
  }

  private async syncFull(desired: NftState): Promise<Omit<SyncResult, "durationMs">> {
    const existing = await this.opts.runner.list(desired.family, desired.table);
    let script = renderFull(desired, existing);
    try {
      await this.opts.runner.apply(script);
    } catch (err) {
      if (!existing) throw err;
      // The table holds something an in-place rewrite cannot fix (a base chain of another shape): replace it.
      this.opts.logger.warn({ err }, "in-place full sync failed; replacing kube-proxy's table");
      script = renderFull(desired);
      await this.opts.runner.apply(script);
    }
    this.opts.metrics.lastTransactionCommands.set({ sync: "full" }, countCommands(script));
    return { kind: "full", commands: countCommands(script) };
  }

  private async syncPartial(applied: NftState, desired: NftState): Promise<Omit<SyncResult, "durationMs">> {
    const delta = renderDelta(applied, desired);
    if (typeof delta !== "string") {
      this.opts.logger.info({ reason: delta.blocked }, "change needs a full sync");
      return this.syncFull(desired);
    }
    if (!delta) return { kind: "none", commands: 0 };
    await this.opts.runner.apply(delta);
    this.opts.metrics.lastTransactionCommands.set({ sync: "partial" }, countCommands(delta));
    return { kind: "partial", commands: countCommands(delta) };
  }
}
