// The Job controller's pod failure back-off: how long to wait before replacing failed pods.
import type { coreV1Pod } from "@kubeplane/api";
import { podFinishTime } from "./job-status.js";

type Pod = coreV1Pod.Pod;

/**
 * Per-Job failure back-off (Kubernetes' getRemainingTimePerIndex without indexes). Remembers, per Job,
 * when this process first saw failed pods that record no finish time; used from the Job's reconcile only.
 */
export class FailureBackoff {
  /** Failed pods that record no finish time: when this process first saw them failed (for back-off only). */
  private readonly failureSeen = new Map<string, Map<string, number>>();

  constructor(
    private readonly baseMs: number,
    private readonly maxMs: number,
  ) {}

  /** Ms to wait before replacing failed pods: base·2^(n-1) after the latest of the n failures since the last success, capped. */
  remaining(key: string, succeeded: readonly Pod[], failed: readonly Pod[], now: Date): number {
    let seen = this.failureSeen.get(key);
    const finishOf = (p: Pod): number => {
      const t = podFinishTime(p);
      if (t !== undefined) return t;
      if (!seen) this.failureSeen.set(key, (seen = new Map()));
      const uid = p.metadata!.uid;
      if (!seen.has(uid)) seen.set(uid, now.getTime());
      return seen.get(uid)!;
    };
    if (seen) for (const uid of seen.keys()) if (!failed.some((p) => p.metadata?.uid === uid)) seen.delete(uid);
    const lastSuccess = Math.max(0, ...succeeded.map((p) => podFinishTime(p) ?? 0));
    const failures = failed.map(finishOf).filter((t) => t > lastSuccess);
    if (failures.length === 0) return 0;
    const delay = Math.min(this.baseMs * 2 ** (failures.length - 1), this.maxMs);
    return Math.max(...failures) + delay - now.getTime();
  }

  /** Drops what is remembered of a Job that is gone. */
  forget(key: string): void {
    this.failureSeen.delete(key);
  }
}
