// A pod's status from what the runtime reports, the probes' verdicts and the kubelet's own
// waiting reasons: phase, conditions, IPs and container statuses, computed as the kubelet does.
import { coreV1Pod } from "@kubeplane/api";
import type { ContainerStatus as RuntimeContainerStatus } from "../runtime/types.js";
import { latestContainer, previousContainer, restartCountOf, rfc3339, type PodRuntimeState } from "./runtime-state.js";

type Pod = coreV1Pod.Pod;
type PodStatus = coreV1Pod.PodStatus;
type Container = coreV1Pod.Container;
type ContainerStatus = coreV1Pod.ContainerStatus;
type ContainerState = coreV1Pod.ContainerState;

/** Why a container is not running, as the kubelet knows it (ErrImagePull, CrashLoopBackOff, …). */
export interface WaitingReason {
  reason: string;
  message: string;
}

export interface StatusContext {
  hostIp: string;
  /** The runtime's name for container IDs ("containerd"). */
  runtimeName: string;
  waiting: ReadonlyMap<string, WaitingReason>;
  isReady(containerName: string): boolean;
  startupPassed(containerName: string): boolean;
  now: () => Date;
  /** The pod failed as a whole (e.g. an init container failed with restartPolicy Never). */
  failure?: { reason: string; message: string };
}

function terminatedOf(c: RuntimeContainerStatus, runtimeName: string): ContainerState {
  return {
    terminated: {
      exitCode: c.exitCode,
      signal: 0,
      reason: c.reason || (c.exitCode === 0 ? "Completed" : "Error"),
      message: c.message,
      startedAt: rfc3339(c.startedAt),
      finishedAt: rfc3339(c.finishedAt),
      containerId: `${runtimeName}://${c.id}`,
    },
  };
}

function containerStatusOf(spec: Container, state: PodRuntimeState, ctx: StatusContext, defaultWaiting: string, isInit: boolean): ContainerStatus {
  const latest = latestContainer(state, spec.name);
  const prev = previousContainer(state, spec.name);
  const waiting = ctx.waiting.get(spec.name);
  let current: ContainerState;
  let last: ContainerState = {};
  if (!latest) {
    current = { waiting: waiting ?? { reason: defaultWaiting, message: "" } };
  } else if (latest.state === "running") {
    current = { running: { startedAt: rfc3339(latest.startedAt) } };
    if (prev?.state === "exited") last = terminatedOf(prev, ctx.runtimeName);
  } else if (latest.state === "exited") {
    const done = isInit ? latest.exitCode === 0 : false;
    if (waiting && !done) {
      current = { waiting };
      last = terminatedOf(latest, ctx.runtimeName);
    } else {
      current = terminatedOf(latest, ctx.runtimeName);
      if (prev?.state === "exited") last = terminatedOf(prev, ctx.runtimeName);
    }
  } else {
    current = { waiting: waiting ?? { reason: "ContainerCreating", message: "" } };
  }
  const running = latest?.state === "running";
  return {
    name: spec.name,
    state: current,
    lastState: last,
    ready: isInit ? latest?.state === "exited" && latest.exitCode === 0 : running && ctx.isReady(spec.name),
    restartCount: restartCountOf(latest),
    image: spec.image,
    imageId: latest?.imageRef ?? "",
    containerId: latest ? `${ctx.runtimeName}://${latest.id}` : "",
    started: running && ctx.startupPassed(spec.name),
    allocatedResources: {},
    volumeMounts: [],
  };
}

/** Kubernetes' getPhase over container statuses. */
export function podPhase(pod: Pod, init: ContainerStatus[], containers: ContainerStatus[]): string {
  const policy = pod.spec?.restartPolicy || "Always";
  for (const s of init) {
    const t = s.state?.terminated;
    if (t && t.exitCode === 0) continue;
    const failed = (t && t.exitCode !== 0) || (s.state?.waiting && s.lastState?.terminated && s.lastState.terminated.exitCode !== 0);
    if (failed && policy === "Never") return "Failed";
    return "Pending";
  }
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const s of containers) {
    if (s.state?.running) running++;
    else if (s.state?.terminated) {
      stopped++;
      if (s.state.terminated.exitCode === 0) succeeded++;
    } else if (s.state?.waiting) {
      if (s.lastState?.terminated) stopped++;
      else waiting++;
    }
  }
  if (waiting > 0) return "Pending";
  if (running > 0) return "Running";
  if (stopped > 0) {
    if (policy === "Always") return "Running";
    if (stopped === succeeded) return "Succeeded";
    if (policy === "Never") return "Failed";
    return "Running";
  }
  return "Pending";
}

/** QoS class from requests and limits (Guaranteed, Burstable, BestEffort). */
export function qosClass(pod: Pod): string {
  const all = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  let any = false;
  let guaranteed = true;
  for (const c of all) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    if (Object.keys(req).length || Object.keys(lim).length) any = true;
    for (const r of ["cpu", "memory"]) {
      if (!lim[r] || (req[r] && req[r] !== lim[r])) guaranteed = false;
    }
  }
  if (!any) return "BestEffort";
  return guaranteed ? "Guaranteed" : "Burstable";
}

function condition(type: string, ok: boolean, reason = "", message = ""): coreV1Pod.PodCondition {
  return { type, status: ok ? "True" : "False", lastProbeTime: "", lastTransitionTime: "", reason: ok ? "" : reason, message: ok ? "" : message, observedGeneration: 0 };
}

/** The status the pod should have now; transition times carried over from `pod.status` when a condition did not change. */
export function computePodStatus(pod: Pod, state: PodRuntimeState, ctx: StatusContext): PodStatus {
  const old = pod.status;
  const sandbox = state.sandboxes[0];
  let podIp = sandbox?.state === "ready" && sandbox.ip ? sandbox.ip : pod.spec?.hostNetwork ? ctx.hostIp : "";
  let podIps = podIp ? [podIp, ...(sandbox?.additionalIps ?? [])] : [];
  const initSpecs = pod.spec?.initContainers ?? [];
  const init = initSpecs.map((c) => containerStatusOf(c, state, ctx, "PodInitializing", true));
  const initDone = init.every((s) => s.state?.terminated?.exitCode === 0);
  const containers = (pod.spec?.containers ?? []).map((c) => containerStatusOf(c, state, ctx, initDone ? "ContainerCreating" : "PodInitializing", false));
  let phase = podPhase(pod, init, containers);
  if (ctx.failure) phase = "Failed";
  if (!podIp && (phase === "Succeeded" || phase === "Failed") && old?.podIp) {
    // A finished pod gives its sandbox back but keeps reporting the address it ran with.
    podIp = old.podIp;
    podIps = old.podIps.map((p) => p.ip);
  }
  const notReady = containers.filter((s) => !s.ready).map((s) => s.name);
  const containersReady = notReady.length === 0 && phase === "Running";
  const notReadyMsg = `containers with unready status: [${notReady.join(" ")}]`;
  const uninitialized = init.filter((s) => s.state?.terminated?.exitCode !== 0).map((s) => s.name);
  const conditions = [
    condition("PodReadyToStartContainers", !!sandbox && sandbox.state === "ready"),
    condition("Initialized", initDone || phase === "Succeeded", "ContainersNotInitialized", `containers with incomplete status: [${uninitialized.join(" ")}]`),
    condition("Ready", containersReady, phase === "Succeeded" || phase === "Failed" ? "PodCompleted" : "ContainersNotReady", notReadyMsg),
    condition("ContainersReady", containersReady, phase === "Succeeded" || phase === "Failed" ? "PodCompleted" : "ContainersNotReady", notReadyMsg),
    condition("PodScheduled", true),
  ];
  const now = ctx.now().toISOString().replace(/\.\d{3}Z$/, "Z");
  for (const c of conditions) {
    const prior = old?.conditions.find((o) => o.type === c.type);
    c.lastTransitionTime = prior && prior.status === c.status ? prior.lastTransitionTime : now;
  }
  return {
    phase,
    conditions,
    message: ctx.failure?.message ?? "",
    reason: ctx.failure?.reason ?? "",
    nominatedNodeName: old?.nominatedNodeName ?? "",
    hostIp: ctx.hostIp,
    hostIps: ctx.hostIp ? [{ ip: ctx.hostIp }] : [],
    podIp,
    podIps: podIps.map((ip) => ({ ip })),
    startTime: old?.startTime || now,
    initContainerStatuses: init,
    containerStatuses: containers,
    qosClass: qosClass(pod),
    ephemeralContainerStatuses: [],
    observedGeneration: pod.metadata?.generation ?? 0,
  };
}

/** Whether two statuses differ in anything but probe times (so a write is needed). */
export function statusChanged(a: PodStatus | undefined, b: PodStatus): boolean {
  // Normalised through the codec, so defaults (0, "", {}) compare equal to absent fields.
  const norm = (s: PodStatus | undefined): string => JSON.stringify(coreV1Pod.PodStatus.toJSON(coreV1Pod.PodStatus.fromPartial(s ?? {})));
  return norm(a) !== norm(b);
}
