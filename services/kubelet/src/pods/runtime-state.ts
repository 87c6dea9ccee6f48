// A pod's state as the container runtime has it: its sandboxes and containers, found by the
// labels the kubelet puts on them, so a restarted kubelet sees (and adopts) exactly what runs.
import { LABELS } from "../paths.js";
import type { ContainerStatus, PodSandboxStatus, RuntimeService } from "../runtime/types.js";

/** Annotations the kubelet writes on containers (read back after a restart). */
export const ANNOTATIONS = {
  restartCount: "io.kubernetes.container.restartCount",
  podUid: LABELS.podUid,
} as const;

export interface PodRuntimeState {
  /** The newest sandbox first. */
  sandboxes: PodSandboxStatus[];
  /** Every container of the pod, newest first, with full status. */
  containers: ContainerStatus[];
}

/** Reads the runtime state of the pod with `uid` (sandboxes and containers, newest first). */
export async function readPodRuntimeState(runtime: RuntimeService, uid: string): Promise<PodRuntimeState> {
  const selector = { [LABELS.podUid]: uid };
  const [sandboxes, containers] = await Promise.all([runtime.listPodSandbox({ labelSelector: selector }), runtime.listContainers({ labelSelector: selector })]);
  const sandboxStatuses = await Promise.all(sandboxes.map((s) => runtime.podSandboxStatus(s.id).catch(() => undefined)));
  const statuses = await Promise.all(containers.map((c) => runtime.containerStatus(c.id).catch(() => undefined)));
  return {
    sandboxes: sandboxStatuses.filter((s): s is PodSandboxStatus => s !== undefined).sort((a, b) => b.createdAt - a.createdAt),
    containers: statuses.filter((s): s is ContainerStatus => s !== undefined).sort((a, b) => b.createdAt - a.createdAt),
  };
}

/** The newest container named `name` (or undefined). */
export function latestContainer(state: PodRuntimeState, name: string): ContainerStatus | undefined {
  return state.containers.find((c) => c.metadata.name === name);
}

/** The container before the newest one named `name` (for `logs --previous` and lastState). */
export function previousContainer(state: PodRuntimeState, name: string): ContainerStatus | undefined {
  return state.containers.filter((c) => c.metadata.name === name)[1];
}

/** A container's restart count as recorded on it when created. */
export function restartCountOf(c: ContainerStatus | undefined): number {
  if (!c) return 0;
  const n = Number(c.annotations[ANNOTATIONS.restartCount] ?? c.metadata.attempt);
  return Number.isFinite(n) ? n : 0;
}

/** RFC 3339 time (as the API writes it) of a CRI nanosecond timestamp; "" for 0. */
export function rfc3339(ns: number): string {
  if (!ns) return "";
  return new Date(Math.floor(ns / 1e6)).toISOString().replace(/\.\d{3}Z$/, "Z");
}
