// What `rollout status` says about a Deployment: kubectl's status lines, its "rolled out" test, and a terminal progress bar.
import type { JsonObject } from "@kubeplane/client";
import { KpctlError } from "../errors.js";
import { arr, num, str } from "../json-fields.js";
import type { OutputStream } from "../cli-io.js";

export const REVISION_ANNOTATION = "deployment.kubernetes.io/revision";

/** One observation of a rollout: the line kubectl prints, and whether the rollout is complete. */
export interface RolloutProgress {
  line: string;
  done: boolean;
  /** spec.replicas (default 1) and the status counts the bar draws. */
  desired: number;
  updated: number;
  available: number;
  /** Pods of old ReplicaSets still counted in status.replicas. */
  oldPending: number;
  observed: boolean;
}

/**
 * kubectl's DeploymentStatusViewer: done when the controller has observed the latest spec and
 * every replica is updated and available with no old pods left. Throws when the Progressing
 * condition says the deadline passed, or when --revision names another revision.
 */
export function deploymentProgress(d: JsonObject, revision?: number): RolloutProgress {
  const name = str(d, "metadata", "name");
  if (revision !== undefined) {
    const running = Number(str(d, "metadata", "annotations", REVISION_ANNOTATION) || "0");
    if (running !== revision) throw new KpctlError(`desired revision (${revision}) is different from the running revision (${running})`, "EREVISION");
  }
  const desired = num(d, "spec", "replicas") ?? 1;
  const s = (k: string): number => num(d, "status", k) ?? 0;
  const updated = s("updatedReplicas");
  const replicas = s("replicas");
  const available = s("availableReplicas");
  const counts = { desired, updated, available, oldPending: Math.max(0, replicas - updated) };
  const observed = (num(d, "metadata", "generation") ?? 0) <= s("observedGeneration");
  if (!observed) return { ...counts, observed, done: false, line: "Waiting for deployment spec update to be observed..." };

  const progressing = arr(d, "status", "conditions").find((c) => str(c, "type") === "Progressing");
  if (progressing && str(progressing, "status") === "False" && str(progressing, "reason") === "ProgressDeadlineExceeded") {
    throw new KpctlError(`deployment "${name}" exceeded its progress deadline`, "EPROGRESSDEADLINE");
  }
  const waiting = (what: string): RolloutProgress => ({ ...counts, observed, done: false, line: `Waiting for deployment "${name}" rollout to finish: ${what}...` });
  if (updated < desired) return waiting(`${updated} out of ${desired} new replicas have been updated`);
  if (replicas > updated) return waiting(`${replicas - updated} old replicas are pending termination`);
  if (available < updated) return waiting(`${available} of ${updated} updated replicas are available`);
  return { ...counts, observed, done: true, line: `deployment "${name}" successfully rolled out` };
}

const BAR_WIDTH = 30;
/** Erase the current terminal line and return to its start. */
const CLEAR_LINE = "\r\x1b[2K";

function cells(n: number, of: number): number {
  if (of <= 0) return BAR_WIDTH;
  return Math.max(0, Math.min(BAR_WIDTH, Math.floor((n / of) * BAR_WIDTH)));
}

/** `deployment "web" [█████▒▒▒░░░░] 5/10 updated, 3/10 available, 1 old pending`: solid = updated and available. */
export function progressBar(name: string, p: RolloutProgress): string {
  const ready = cells(Math.min(p.updated, p.available), p.desired);
  const updated = Math.max(ready, cells(p.updated, p.desired));
  const bar = `${"█".repeat(ready)}${"▒".repeat(updated - ready)}${"░".repeat(BAR_WIDTH - updated)}`;
  const old = p.oldPending > 0 ? `, ${p.oldPending} old pending` : "";
  const observed = p.observed ? "" : " (spec update not yet observed)";
  return `deployment "${name}" [${bar}] ${p.updated}/${p.desired} updated, ${p.available}/${p.desired} available${old}${observed}`;
}

/**
 * How status is shown: on a terminal one bar redrawn in place, else kubectl's lines (each change
 * once: a Deployment's status is rewritten far more often than its line changes).
 */
export class ProgressReporter {
  private shown: string | undefined;
  private barDrawn = false;

  constructor(
    private readonly out: OutputStream,
    private readonly name: string,
    private readonly tty: boolean,
  ) {}

  report(p: RolloutProgress): void {
    if (p.done || !this.tty) {
      this.clearBar();
      if (p.line !== this.shown) this.out.write(`${p.line}\n`);
      this.shown = p.line;
      return;
    }
    const bar = progressBar(this.name, p);
    if (bar === this.shown) return;
    this.out.write(`${CLEAR_LINE}${bar}`);
    this.shown = bar;
    this.barDrawn = true;
  }

  /** Leaves the last bar on screen and moves to a fresh line, so an error or the prompt does not overwrite it. */
  finish(): void {
    if (this.barDrawn) this.out.write("\n");
    this.barDrawn = false;
  }

  private clearBar(): void {
    if (this.barDrawn) this.out.write(CLEAR_LINE);
    this.barDrawn = false;
  }
}
