// Compacts etcd's history on a schedule, one apiserver per interval, as kube-apiserver's compactor does.
import { setTimeout as sleep } from "node:timers/promises";
import { isCompacted, type EtcdStore } from "@kubeplane/storage";

/** Kubernetes' key: every apiserver compare-and-swaps its version, so one of them compacts per interval. */
export const COMPACT_REV_KEY = "compact_rev_key";

/** The compactor's logger (pino's shape). */
export interface CompactorLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** Options of `startCompactor`. */
export interface CompactorOptions {
  /** Time between rounds, and so the history kept: a round compacts the revision seen one round earlier. 0 disables. */
  intervalMs: number;
  logger?: CompactorLogger;
  /** Called after this replica compacted etcd up to `revision`. */
  onCompacted?: (revision: number) => void;
}

/** A running compactor. */
export interface Compactor {
  /** Stops the schedule and waits for a round in progress. */
  stop(): Promise<void>;
}

/** The state carried from one round to the next: the key's version and the revision to compact next. */
export interface CompactionState {
  version: number;
  revision: number;
}

/**
 * One round (kube-apiserver's `compact`): if `compact_rev_key` still has `state.version`, this
 * replica wins the round, records etcd's revision and compacts `state.revision` (the revision it saw
 * one round ago; 0 on the first round: nothing yet). Losers learn the key's version and try again
 * next round. Either way the returned revision is compacted next time, so at least one interval of
 * history is always kept. Rejects with the store's error (the caller retries next round).
 */
export async function compactRound(store: EtcdStore, state: CompactionState): Promise<CompactionState & { compacted?: number }> {
  const result = await store.casCompactRevision(COMPACT_REV_KEY, state.version, state.revision);
  if (!result.succeeded || state.revision === 0) return { version: result.version, revision: result.revision };
  try {
    await store.compact(state.revision);
  } catch (error) {
    // Another compactor (or etcd's own auto-compaction) got there first: nothing to do.
    if (!isCompacted(error)) throw error;
  }
  return { version: result.version, revision: result.revision, compacted: state.revision };
}

/**
 * Runs `compactRound` every `intervalMs` until stopped. Every apiserver replica runs one; the
 * compare-and-swap makes exactly one of them compact per interval. Failures are logged and retried
 * at the next round. Consumers of compacted history cope: the watch publisher announces a gap
 * (informers relist), a List continuation gets Gone.
 */
export function startCompactor(store: EtcdStore, opts: CompactorOptions): Compactor {
  if (opts.intervalMs <= 0) return { stop: () => Promise.resolve() };
  const stopping = new AbortController();
  const loop = async (): Promise<void> => {
    let state: CompactionState = { version: 0, revision: 0 };
    // The first round only records the current revision; each later one waits a whole interval
    // after the previous one ended, so what it compacts is at least that old (kube's time.After).
    while (!stopping.signal.aborted) {
      try {
        const next = await compactRound(store, state);
        state = { version: next.version, revision: next.revision };
        if (next.compacted !== undefined) {
          opts.logger?.info({ component: "compactor", revision: next.compacted }, "compacted etcd history");
          opts.onCompacted?.(next.compacted);
        }
      } catch (err) {
        opts.logger?.warn({ component: "compactor", err }, "etcd compaction round failed; retrying next interval");
      }
      await sleep(opts.intervalMs, undefined, { signal: stopping.signal }).catch(() => undefined);
    }
  };
  const done = loop();
  return {
    async stop() {
      stopping.abort();
      await done;
    },
  };
}
