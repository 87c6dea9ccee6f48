// Where a pod's start goes: the phases between the kubelet seeing a pod and its Running status
// written, each timed on the pod's first start only (kubelet_pod_start_phase_duration_seconds).

/** The phases of a pod start, in the order a first sync runs them. */
export type StartPhase =
  /** Seen (informer) → a pod worker takes its first sync. */
  | "worker_start"
  /** Volumes set up (configMap, secret, projected token: API reads). */
  | "volumes"
  /** RunPodSandbox and its status: the pause container and the CNI ADD. */
  | "sandbox"
  /** The image presence check (or pull). */
  | "image"
  /** CreateContainer. */
  | "container_create"
  /** StartContainer. */
  | "container_start"
  /** Reading the pod's runtime state (List, Status calls) around the actions. */
  | "runtime_state"
  /** Running computed → the status accepted by the apiserver (queueing and the write). */
  | "status_write";

/** Receives one timed phase of a start (milliseconds). */
export type PhaseTrace = (phase: StartPhase, ms: number) => void;

/** Runs fn, telling trace how long it took (also when it throws). */
export async function timed<T>(trace: PhaseTrace | undefined, phase: StartPhase, fn: () => Promise<T>): Promise<T> {
  if (!trace) return fn();
  const started = performance.now();
  try {
    return await fn();
  } finally {
    trace(phase, performance.now() - started);
  }
}
