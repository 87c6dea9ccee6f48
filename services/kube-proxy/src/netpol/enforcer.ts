// The NetworkPolicy sync loop: compiles the cluster state into the netpol table and replaces it in one transaction when it changed.
import type { Logger } from "@kubeplane/service-kit";
import type { NftRunner } from "../nft-runner.js";
import { compileRuleset, renderRuleset, rulesetCounts } from "./compile.js";
import type { NetpolMetrics } from "./metrics.js";
import type { NetpolModel } from "./model.js";
import { SyncRunner } from "../sync-runner.js";

/** What an enforcer needs. */
export interface EnforcerOptions {
  runner: NftRunner;
  /** The current cluster state, read from the informers' caches at each sync. */
  model: () => NetpolModel;
  /** Least time between the starts of two syncs; changes in between are coalesced. */
  minSyncPeriodMs: number;
  /** Period of the forced rewrite, which repairs a table changed behind the enforcer's back. */
  syncPeriodMs: number;
  logger: Logger;
  metrics: NetpolMetrics;
}

const retryMs = { first: 1000, max: 30_000 };

/**
 * Keeps the netpol table equal to what the policies say. Level-triggered: each sync compiles the
 * whole desired table from the caches; when its text equals the last one applied, nothing is
 * run, else the table is replaced by one `nft -f` transaction (declare, delete, recreate), so a
 * packet sees either the old or the new rules, never a mix. Syncs never overlap; a failed one is
 * retried with back-off. `changed` may be called from any informer handler, also before `run`;
 * `run` is called once the caches synced, so the first table never comes from a half-listed
 * cluster (which would briefly isolate pods whose allowing peers are not listed yet).
 */
export class NetworkPolicyEnforcer {
  private applied: string | undefined;
  private force = false;
  private readonly runner: SyncRunner;
  /** Syncs that left the table current (applied or unchanged). */
  syncs = 0;
  /** Transactions applied. */
  applies = 0;

  constructor(private readonly opts: EnforcerOptions) {
    this.runner = new SyncRunner({
      sync: () => this.syncOnce(),
      minSyncPeriodMs: opts.minSyncPeriodMs,
      syncPeriodMs: opts.syncPeriodMs,
      onPeriodic: () => {
        this.force = true;
      },
      retryDelayMs: (failures) => Math.min(retryMs.first * 2 ** (failures - 1), retryMs.max),
    });
  }

  /** True once the table was programmed (readiness). */
  get synced(): boolean {
    return this.syncs > 0;
  }

  /** True when no sync is queued or running. */
  get idle(): boolean {
    return this.runner.idle;
  }

  /** Notes a change of a pod, namespace or policy and queues a sync. */
  changed(): void {
    this.runner.queue();
  }

  /** Syncs until `signal` aborts; the table stays in place afterwards (pods stay isolated across restarts). */
  run(signal: AbortSignal): Promise<void> {
    return this.runner.run(signal);
  }

  /** One sync; never rejects (failures are logged, counted and retried with back-off): false when it failed. */
  private async syncOnce(): Promise<boolean> {
    const { metrics: m, logger } = this.opts;
    const started = performance.now();
    try {
      const compiled = compileRuleset(this.opts.model());
      const script = renderRuleset(compiled);
      const force = this.force;
      this.force = false;
      let result: "applied" | "unchanged" = "unchanged";
      if (force || script !== this.applied) {
        await this.opts.runner.apply(script);
        this.applied = script;
        this.applies++;
        result = "applied";
      }
      this.syncs++;
      const seconds = (performance.now() - started) / 1000;
      m.syncDuration.observe(seconds);
      m.syncs.inc({ result });
      m.lastSyncTimestamp.set(Date.now() / 1000);
      const counts = rulesetCounts(compiled);
      for (const kind of ["chains", "rules", "sets", "elements"] as const) m.nftablesObjects.set({ kind: kind.slice(0, -1) }, counts[kind]);
      m.isolatedPods.set({ direction: "ingress" }, compiled.isolated.ingress);
      m.isolatedPods.set({ direction: "egress" }, compiled.isolated.egress);
      if (result === "applied") logger.info({ ms: Math.round(seconds * 1000), ...counts, isolated: compiled.isolated }, "synced network policy rules");
      return true;
    } catch (err) {
      this.applied = undefined;
      m.syncs.inc({ result: "failed" });
      logger.error({ err }, "syncing network policy rules failed; retrying");
      return false;
    }
  }
}
