// syncPod: one level-triggered pass driving a pod's sandbox and containers toward its spec —
// sandbox, volumes, init containers in order, then containers, restarts with back-off, probes'
// verdicts, and the status that results. Called by the pod workers, one pass per pod at a time.
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { coreV1Pod } from "@kubeplane/api";
import type { Logger } from "@kubeplane/service-kit";
import { podDir } from "../paths.js";
import type { ContainerStatus, PodSandboxConfig, PodSandboxStatus, RuntimeService } from "../runtime/types.js";
import { podDnsConfig } from "../container/dns.js";
import { writeEtcHosts } from "../container/etc-hosts.js";
import { VolumeSetupError } from "../container/errors.js";
import { preparePodVolumes } from "../container/volumes.js";
import type { ProbeManager } from "../probe/prober.js";
import type { Backoff } from "./backoff.js";
import { podCgroupParent } from "./cgroups.js";
import { startContainer, type ContainerStarterDeps } from "./container-starter.js";
import { EVENT_REASONS, formatPod } from "../events.js";
import type { ImagePuller } from "./images.js";
import { killContainer, stopSandboxes } from "./kill.js";
import { latestContainer, readPodRuntimeState, type PodRuntimeState } from "./runtime-state.js";
import { podHostname, sandboxConfig } from "./sandbox-config.js";
import { computePodStatus, type WaitingReason } from "./status.js";
import type { KubeletMetrics } from "./metrics.js";
import { timed, type PhaseTrace } from "./startup-trace.js";

type Pod = coreV1Pod.Pod;
type Container = coreV1Pod.Container;

export interface PodSyncerOptions extends Omit<ContainerStarterDeps, "puller"> {
  runtime: RuntimeService;
  puller: ImagePuller;
  probes: ProbeManager;
  restartBackoff: Backoff;
  logger: Logger;
  nodeName: string;
  hostIp: string;
  rootDir: string;
  logRoot: string;
  /** Parent of every pod's cgroup (e.g. /kubepods). */
  cgroupRoot: string;
  clusterDns: string[];
  clusterDomain: string;
  /** The node's resolv.conf text (dnsPolicy Default and host-network pods); undefined: --resolv-conf="" (no host resolver). */
  hostResolvConf: string | undefined;
  /** A container that ran at least this long before exiting restarts without back-off (default 10 min). */
  backoffResetMs: number;
  runtimeName: string;
  now: () => Date;
  /** Where RunPodSandbox durations go (kubelet_run_podsandbox_duration_seconds); unset: nowhere. */
  metrics?: Pick<KubeletMetrics, "runPodSandboxDuration">;
}

/** The outcome of one pass: the status the pod should have, and when to look again at the latest. */
export interface SyncResult {
  status: coreV1Pod.PodStatus;
  requeueAfterMs?: number;
  /** The pod's sandboxes and containers (id → state) as the pass last read them: the relist need not wake the pod for these. */
  observed?: Map<string, string>;
}

/** id → state of every sandbox and container in `state`. */
function observedStates(state: PodRuntimeState): Map<string, string> {
  const out = new Map<string, string>();
  for (const s of state.sandboxes) out.set(s.id, s.state);
  for (const c of state.containers) out.set(c.id, c.state);
  return out;
}

/** The kubelet's memory of a pod between passes (rebuilt from the runtime after a restart). */
interface PodMemory {
  waiting: Map<string, WaitingReason>;
  failure?: { reason: string; message: string };
}

/** Runs sync passes; holds only per-pod memory the runtime cannot tell (waiting reasons). */
export class PodSyncer {
  private readonly memory = new Map<string, PodMemory>();

  constructor(private readonly o: PodSyncerOptions) {}

  /** One pass for a pod that should run (not being deleted); `trace` times its phases (a first start). */
  async sync(pod: Pod, trace?: PhaseTrace): Promise<SyncResult> {
    const uid = pod.metadata!.uid;
    const mem = this.memoryOf(uid);
    const readState = (): Promise<PodRuntimeState> => timed(trace, "runtime_state", () => readPodRuntimeState(this.o.runtime, uid));
    let state = await readState();
    let requeue: number | undefined;
    const want = (ms: number): void => {
      requeue = requeue === undefined ? ms : Math.min(requeue, ms);
    };

    const terminal = mem.failure || pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed";
    if (terminal) {
      // A finished pod keeps its containers' records but gives its sandbox (and IP) back.
      await stopSandboxes(this.o.runtime, state.sandboxes.filter((s) => s.state === "ready"));
      return { status: this.status(pod, await readPodRuntimeState(this.o.runtime, uid), mem) };
    }

    await mkdir(podDir(this.o.rootDir, uid), { recursive: true });
    const volumes = await timed(trace, "volumes", () => preparePodVolumes(pod, this.o.volumeContext)).catch((err: unknown) => {
      if (err instanceof VolumeSetupError) this.o.events(pod, "Warning", EVENT_REASONS.FailedMountVolume, err.message);
      throw err;
    });
    const { sandbox, config, changed } = await this.ensureSandbox(pod, state, trace);
    // A first sandbox: nothing else of the pod exists yet, so no need to ask the runtime again.
    if (changed) state = state.sandboxes.length === 0 && state.containers.length === 0 ? { sandboxes: [sandbox], containers: [] } : await readState();
    const etcHosts = join(podDir(this.o.rootDir, uid), "etc-hosts");
    const podIp = sandbox.ip || (pod.spec?.hostNetwork ? this.o.hostIp : "");
    // Both families' addresses on a dual-stack pod network (the CRI reports the second as additional).
    const podIps = podIp ? [podIp, ...(sandbox.ip ? sandbox.additionalIps : [])] : [];
    const ctx = { pod, sandboxId: sandbox.id, sandboxConfig: config, podIp, podIps, volumes, etcHosts, ...(trace ? { trace } : {}) };
    if (!pod.spec?.hostNetwork) {
      // Every pass, not only with a new sandbox: a pass that failed after creating the sandbox
      // must not leave containers a missing file (the runtime would mount a directory instead).
      await writeEtcHosts(etcHosts, {
        podIps,
        // The short hostname, even when the kernel's is the FQDN (setHostnameAsFQDN), as the kubelet's.
        hostname: podHostname(pod),
        subdomain: pod.spec?.subdomain || undefined,
        namespace: pod.metadata!.namespace,
        clusterDomain: this.o.clusterDomain,
        hostAliases: pod.spec?.hostAliases,
      });
    }

    const policy = pod.spec?.restartPolicy || "Always";
    let initDone = true;
    for (const c of pod.spec?.initContainers ?? []) {
      const latest = latestContainer(state, c.name);
      if (latest?.state === "exited" && latest.exitCode === 0) continue;
      initDone = false;
      if (latest?.state === "running" || latest?.state === "created") break;
      if (latest?.state === "exited" && policy === "Never") {
        mem.failure = { reason: "", message: `init container ${c.name} failed with exit code ${latest.exitCode}` };
        break;
      }
      const wait = await this.startOrBackOff(pod, c, latest, ctx, mem);
      if (wait !== undefined) want(wait);
      break;
    }

    if (initDone && !mem.failure) {
      for (const c of pod.spec?.containers ?? []) {
        const latest = latestContainer(state, c.name);
        if (latest?.state === "running") {
          mem.waiting.delete(c.name);
          const reported = pod.status?.containerStatuses.find((s) => s.name === c.name && s.containerId.endsWith(`://${latest.id}`));
          this.o.probes.ensure(pod, c.name, latest.id, ctx.podIp, latest.startedAt / 1e6, { ready: reported?.ready === true, started: reported?.started === true });
          const failedProbe = this.o.probes.failedProbe(uid, c.name);
          if (failedProbe) {
            this.o.logger.info({ pod: pod.metadata!.name, namespace: pod.metadata!.namespace, container: c.name, probe: failedProbe }, "liveness probe failed: killing the container");
            await killContainer(this.o.runtime, pod, c, latest.id, this.gracePeriod(pod), {
              podIp: ctx.podIp,
              logger: this.o.logger,
              events: this.o.events,
              message: `Container ${c.name} failed ${failedProbe} probe, will be restarted`,
            });
            this.o.probes.removeContainer(uid, c.name);
            want(0);
          }
          continue;
        }
        if (latest?.state === "exited") {
          this.o.probes.removeContainer(uid, c.name);
          const restart = policy === "Always" || (policy === "OnFailure" && latest.exitCode !== 0);
          if (!restart) continue;
        }
        const wait = await this.startOrBackOff(pod, c, latest, ctx, mem);
        if (wait !== undefined) want(wait);
      }
    }
    await this.pruneDeadContainers(state);
    const after = await readState();
    return { status: this.status(pod, after, mem), observed: observedStates(after), ...(requeue !== undefined ? { requeueAfterMs: requeue } : {}) };
  }

  /** Milliseconds spent pulling the pod's images so far (the pod start SLI leaves them out). */
  imagePullingTime(uid: string): number {
    return this.o.puller.pullingTime(`${uid}/`);
  }

  /** Forgets a pod (after it was killed). */
  forget(uid: string): void {
    this.memory.delete(uid);
    this.o.restartBackoff.resetPrefix(`${uid}/`);
    this.o.puller.forget(`${uid}/`);
  }

  /** The grace period a deletion or kill gives the pod's containers, in seconds. */
  gracePeriod(pod: Pod): number {
    return pod.metadata?.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
  }

  /** The status from the runtime as it stands, without acting (used while terminating). */
  async observe(pod: Pod): Promise<coreV1Pod.PodStatus> {
    return this.status(pod, await readPodRuntimeState(this.o.runtime, pod.metadata!.uid), this.memoryOf(pod.metadata!.uid));
  }

  private status(pod: Pod, state: PodRuntimeState, mem: PodMemory): coreV1Pod.PodStatus {
    const uid = pod.metadata!.uid;
    return computePodStatus(pod, state, {
      hostIp: this.o.hostIp,
      runtimeName: this.o.runtimeName,
      waiting: mem.waiting,
      isReady: (name) => this.o.probes.isReady(uid, name),
      startupPassed: (name) => this.o.probes.startupPassed(uid, name),
      now: this.o.now,
      ...(mem.failure ? { failure: mem.failure } : {}),
    });
  }

  private memoryOf(uid: string): PodMemory {
    let mem = this.memory.get(uid);
    if (!mem) this.memory.set(uid, (mem = { waiting: new Map() }));
    return mem;
  }

  /** The pod's ready sandbox, or a new one (its old one's containers stopped first). */
  private async ensureSandbox(pod: Pod, state: PodRuntimeState, trace?: PhaseTrace): Promise<{ sandbox: PodSandboxStatus; config: PodSandboxConfig; changed: boolean }> {
    const current = state.sandboxes[0];
    const dns = podDnsConfig(pod, { clusterDns: this.o.clusterDns, clusterDomain: this.o.clusterDomain, hostResolvConf: this.o.hostResolvConf });
    if (current?.state === "ready" && (current.ip || pod.spec?.hostNetwork)) {
      return { sandbox: current, config: sandboxConfig(pod, { logRoot: this.o.logRoot, dns, attempt: current.metadata.attempt, cgroupParent: podCgroupParent(this.o.cgroupRoot, pod.metadata!.uid), clusterDomain: this.o.clusterDomain }), changed: false };
    }
    if (current) {
      this.o.logger.info({ pod: pod.metadata!.name, namespace: pod.metadata!.namespace, sandbox: current.id }, "sandbox is not ready: recreating it");
      this.o.events(pod, "Normal", EVENT_REASONS.SandboxChanged, "Pod sandbox changed, it will be killed and re-created.");
      for (const c of state.containers.filter((x) => x.state === "running")) await this.o.runtime.stopContainer(c.id, 0);
      await stopSandboxes(this.o.runtime, state.sandboxes);
    }
    const config = sandboxConfig(pod, { logRoot: this.o.logRoot, dns, attempt: current ? current.metadata.attempt + 1 : 0, cgroupParent: podCgroupParent(this.o.cgroupRoot, pod.metadata!.uid), clusterDomain: this.o.clusterDomain });
    return timed(trace, "sandbox", async () => {
      const started = performance.now();
      const id = await this.o.runtime.runPodSandbox(config);
      this.o.metrics?.runPodSandboxDuration.observe({ runtime_handler: "" }, (performance.now() - started) / 1000);
      return { sandbox: await this.o.runtime.podSandboxStatus(id), config, changed: true };
    });
  }

  /**
   * Starts container c (a new attempt after `latest`) unless its restart back-off still runs;
   * records why it waits. Returns when to look again, if it must wait.
   */
  private async startOrBackOff(
    pod: Pod,
    c: Container,
    latest: ContainerStatus | undefined,
    ctx: Parameters<typeof startContainer>[1],
    mem: PodMemory,
  ): Promise<number | undefined> {
    const uid = pod.metadata!.uid;
    const key = `${uid}/${c.name}`;
    if (latest?.state === "exited") {
      const ranMs = (latest.finishedAt - latest.startedAt) / 1e6;
      if (ranMs >= this.o.backoffResetMs) this.o.restartBackoff.reset(key);
      const finishedAt = latest.finishedAt / 1e6;
      if (this.o.restartBackoff.isInBackOffSince(key, finishedAt)) {
        const delay = this.o.restartBackoff.get(key);
        mem.waiting.set(c.name, { reason: "CrashLoopBackOff", message: `back-off ${Math.round(delay / 1000)}s restarting failed container=${c.name} pod=${formatPod(pod)}` });
        // Each pass that holds the restart back, as the kubelet (the broadcaster counts repeats).
        this.o.events(pod, "Warning", EVENT_REASONS.BackOffStartContainer, `Back-off restarting failed container ${c.name} in pod ${formatPod(pod)}`, c.name);
        return this.o.restartBackoff.remaining(key, finishedAt);
      }
      this.o.restartBackoff.next(key);
    }
    if (latest && latest.state === "created") await this.o.runtime.removeContainer(latest.id).catch(() => undefined);
    const result = await startContainer({ ...this.o }, ctx, c, latest);
    if ("waiting" in result) {
      mem.waiting.set(c.name, result.waiting);
      return result.retryAfterMs;
    }
    mem.waiting.delete(c.name);
    // Probe workers from the start, so readiness is known in this very pass's status.
    this.o.probes.ensure(pod, c.name, result.id, ctx.podIp);
    return undefined;
  }

  /** Keeps the newest two containers per name (the running one and the previous, for logs); removes older ones. */
  private async pruneDeadContainers(state: PodRuntimeState): Promise<void> {
    const seen = new Map<string, number>();
    for (const c of state.containers) {
      const n = (seen.get(c.metadata.name) ?? 0) + 1;
      seen.set(c.metadata.name, n);
      if (n > 2 && c.state === "exited") await this.o.runtime.removeContainer(c.id).catch(() => undefined);
    }
  }
}
