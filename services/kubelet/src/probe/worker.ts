// One probe of one container, run periodically with Kubernetes' thresholds (the kubelet's prober worker).

import type { coreV1Pod } from "@kubeplane/api";
import type { RuntimeService } from "../runtime/types.js";
import { runAction } from "./action.js";

/** The three probes of a container. */
export type ProbeKind = "liveness" | "readiness" | "startup";
/** A probe's result. */
export type ProbeResult = "success" | "failure";

/** The container a worker probes. */
export interface ProbeTarget {
  podUid: string;
  containerName: string;
  containerId: string;
  podIp: string;
  ports: readonly coreV1Pod.ContainerPort[];
  /** When the container started (ms since the epoch): initialDelaySeconds counts from here. */
  startedAt: number;
}

/** What a worker needs from its manager. */
export interface WorkerDeps {
  runtime: Pick<RuntimeService, "execSync">;
  /** Milliseconds per probe second (1000, or less in tests). */
  msPerSecond: number;
  /** False while the probe must wait (liveness and readiness until the startup probe passed). */
  gate(): boolean;
  /** Called when the worker's stored result changes after crossing a threshold. */
  report(result: ProbeResult): void;
  /** Called with every run's raw result and its output (metrics, Unhealthy events). */
  observe?(result: ProbeResult, output: string): void;
}

/** Kubernetes' probe defaults for fields left 0. */
function settings(probe: coreV1Pod.Probe): { delay: number; period: number; timeout: number; success: number; failure: number } {
  return {
    delay: probe.initialDelaySeconds,
    period: probe.periodSeconds || 10,
    timeout: probe.timeoutSeconds || 1,
    success: probe.successThreshold || 1,
    failure: probe.failureThreshold || 3,
  };
}

/**
 * Runs a probe every periodSeconds (never two runs at once) and stores its result once successThreshold
 * successes or failureThreshold failures happened in a row. Readiness starts as failure, liveness as success,
 * startup as unknown (undefined). A liveness or startup failure puts the worker on hold: it stops probing
 * since the container is going to be killed, and a new container gets a new worker.
 */
export class ProbeWorker {
  /** The stored result (undefined: unknown). */
  result: ProbeResult | undefined;
  private lastRun: ProbeResult | undefined;
  private runLength = 0;
  private onHold = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly abort = new AbortController();
  private readonly s: ReturnType<typeof settings>;

  constructor(
    readonly kind: ProbeKind,
    private readonly probe: coreV1Pod.Probe,
    private readonly target: ProbeTarget,
    private readonly deps: WorkerDeps,
  ) {
    this.s = settings(probe);
    this.result = kind === "readiness" ? "failure" : kind === "liveness" ? "success" : undefined;
  }

  /** Schedules the first run at initialDelaySeconds after the container started. */
  start(): void {
    const due = this.target.startedAt + this.s.delay * this.deps.msPerSecond - Date.now();
    this.schedule(Math.max(0, due));
  }

  /** Cancels the timer and any run in flight; the worker reports nothing afterwards. */
  stop(): void {
    clearTimeout(this.timer);
    this.abort.abort(new Error(`${this.kind} probe of ${this.target.containerName} stopped`));
  }

  private schedule(ms: number): void {
    if (this.abort.signal.aborted) return;
    this.timer = setTimeout(() => void this.tick(), ms);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    if (!this.onHold && this.deps.gate() && !(this.kind === "startup" && this.result === "success")) {
      const outcome = await runAction(this.probe, {
        runtime: this.deps.runtime,
        containerId: this.target.containerId,
        podIp: this.target.podIp,
        timeoutMs: this.s.timeout * this.deps.msPerSecond,
        signal: this.abort.signal,
        ports: this.target.ports,
      }).catch(() => undefined); // only an abort rejects
      if (!outcome || this.abort.signal.aborted) return;
      this.record(outcome.result, outcome.output);
    }
    this.schedule(this.s.period * this.deps.msPerSecond);
  }

  private record(result: ProbeResult, output: string): void {
    this.deps.observe?.(result, output);
    if (this.lastRun === result) this.runLength++;
    else {
      this.lastRun = result;
      this.runLength = 1;
    }
    const threshold = result === "success" ? this.s.success : this.s.failure;
    if (this.runLength < threshold) return;
    if (this.result !== result) {
      this.result = result;
      this.deps.report(result);
    }
    if (result === "failure" && this.kind !== "readiness") {
      this.onHold = true;
      this.runLength = 0;
    }
  }
}
