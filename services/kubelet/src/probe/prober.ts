// The kubelet's probe manager: liveness, readiness and startup workers per running container, and their results.

import type { coreV1Pod } from "@kubeplane/api";
import type { RuntimeService } from "../runtime/types.js";
import { ProbeWorker, type ProbeKind, type ProbeResult } from "./worker.js";

export type { ProbeKind, ProbeResult } from "./worker.js";

/** What the ProbeManager needs. */
export interface ProbeManagerOptions {
  runtime: Pick<RuntimeService, "execSync">;
  /**
   * Called when a probe's stored result changes (readiness success/failure, startup success/failure,
   * liveness failure): once per change, so a failing liveness streak reports once. Called from a timer:
   * it must not throw; the pod worker reacts (kills on liveness or startup failure, updates status).
   */
  onChange(podUid: string, containerName: string, kind: ProbeKind, result: ProbeResult): void;
  /** Called with every probe run's result (the prober_probe_total{probe_type,result} counter). */
  observe?(kind: ProbeKind, result: ProbeResult): void;
  /**
   * Called with every probe run that failed, with its output (the kubelet's Unhealthy event), before
   * thresholds: as the kubelet, each failed run is reported. Called from a timer: it must not throw.
   */
  failed?(pod: coreV1Pod.Pod, containerName: string, kind: ProbeKind, output: string): void;
  /**
   * Scales every probe duration (initialDelaySeconds, periodSeconds, timeoutSeconds): 1 by default;
   * tests use e.g. 0.01 so that periodSeconds 1 runs every 10ms.
   */
  timeScale?: number;
}

interface ContainerProbes {
  containerId: string;
  workers: Map<ProbeKind, ProbeWorker>;
}

/**
 * Probes running containers as the kubelet does: the pod worker calls ensure() for each running container
 * on every sync and removeContainer()/removePod() when it goes; queries are synchronous and read the
 * latest stored results. A startup probe gates liveness and readiness until it succeeds. Timers are
 * unref'd and all cancelled by stop(). Single-threaded use from the pod workers; not re-entrant from onChange.
 */
export class ProbeManager {
  private readonly containers = new Map<string, ContainerProbes>();
  private readonly msPerSecond: number;

  constructor(private readonly o: ProbeManagerOptions) {
    this.msPerSecond = 1000 * (o.timeScale ?? 1);
  }

  /**
   * Starts the container's probe workers unless they already run for containerId; workers of an older
   * container of the same name are stopped first. startedAt (ms since the epoch, default now) is when the
   * container started: initialDelaySeconds counts from it. `initial` seeds the verdicts a restarted
   * kubelet already reported for this very container (its status in the API), so adopting a running
   * container does not flip it to not-ready until the next probe.
   */
  ensure(
    pod: coreV1Pod.Pod,
    containerName: string,
    containerId: string,
    podIp: string,
    startedAt = Date.now(),
    initial: { ready?: boolean; started?: boolean } = {},
  ): void {
    const podUid = pod.metadata?.uid ?? "";
    const key = keyOf(podUid, containerName);
    if (this.containers.get(key)?.containerId === containerId) return;
    this.removeContainer(podUid, containerName);
    const container = pod.spec?.containers.find((c) => c.name === containerName);
    const entry: ContainerProbes = { containerId, workers: new Map() };
    this.containers.set(key, entry);
    if (!container) return;
    const target = { podUid, containerName, containerId, podIp, ports: container.ports, startedAt };
    const probes: [ProbeKind, coreV1Pod.Probe | undefined][] = [
      ["startup", container.startupProbe],
      ["liveness", container.livenessProbe],
      ["readiness", container.readinessProbe],
    ];
    for (const [kind, probe] of probes) {
      if (!probe) continue;
      const worker = new ProbeWorker(kind, probe, target, {
        runtime: this.o.runtime,
        msPerSecond: this.msPerSecond,
        gate: () => kind === "startup" || this.startupPassed(podUid, containerName),
        report: (result) => this.o.onChange(podUid, containerName, kind, result),
        observe: (result: ProbeResult, output: string) => {
          this.o.observe?.(kind, result);
          if (result === "failure") this.o.failed?.(pod, containerName, kind, output);
        },
      });
      entry.workers.set(kind, worker);
    }
    const readiness = entry.workers.get("readiness");
    if (readiness && initial.ready) readiness.result = "success";
    const startup = entry.workers.get("startup");
    if (startup && initial.started) startup.result = "success";
    for (const worker of entry.workers.values()) worker.start();
  }

  /** Stops the container's workers and forgets its results (it exited or was killed). */
  removeContainer(podUid: string, containerName: string): void {
    const key = keyOf(podUid, containerName);
    const entry = this.containers.get(key);
    if (!entry) return;
    for (const worker of entry.workers.values()) worker.stop();
    this.containers.delete(key);
  }

  /** Stops the workers of every container of the pod. */
  removePod(podUid: string): void {
    for (const key of [...this.containers.keys()]) {
      if (key.startsWith(`${podUid}/`)) this.removeContainer(podUid, key.slice(podUid.length + 1));
    }
  }

  /** Stops every worker. */
  stop(): void {
    for (const entry of this.containers.values()) for (const worker of entry.workers.values()) worker.stop();
    this.containers.clear();
  }

  /** Whether the container is ready: started, and its readiness probe (if any) reached successThreshold. */
  isReady(podUid: string, containerName: string): boolean {
    const entry = this.containers.get(keyOf(podUid, containerName));
    if (!entry || !this.startupPassed(podUid, containerName)) return false;
    const readiness = entry.workers.get("readiness");
    return readiness ? readiness.result === "success" : true;
  }

  /** Whether the container has started: ensured, and its startup probe (if any) succeeded. */
  startupPassed(podUid: string, containerName: string): boolean {
    const entry = this.containers.get(keyOf(podUid, containerName));
    if (!entry) return false;
    const startup = entry.workers.get("startup");
    return startup ? startup.result === "success" : true;
  }

  /** Whether the container must be killed and restarted: its liveness or startup probe reached failureThreshold. */
  livenessFailed(podUid: string, containerName: string): boolean {
    return this.failedProbe(podUid, containerName) !== undefined;
  }

  /** Which probe requires the container's restart (liveness or startup at failureThreshold), if any. */
  failedProbe(podUid: string, containerName: string): "liveness" | "startup" | undefined {
    const entry = this.containers.get(keyOf(podUid, containerName));
    if (entry?.workers.get("liveness")?.result === "failure") return "liveness";
    if (entry?.workers.get("startup")?.result === "failure") return "startup";
    return undefined;
  }
}

function keyOf(podUid: string, containerName: string): string {
  return `${podUid}/${containerName}`;
}
