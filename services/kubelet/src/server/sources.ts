// What the kubelet's gRPC API reads: the pods the kubelet manages and where their containers and logs are.
import type { coreV1Pod } from "@kubeplane/api";

/**
 * The pods bound to this node as the kubelet's pod manager holds them (its informer cache).
 * Called synchronously on the event loop by every request; must not block.
 */
export interface PodSource {
  /** The pod, or undefined when this kubelet does not run it. */
  get(namespace: string, name: string): coreV1Pod.Pod | undefined;
  /** Every pod bound to this node, in no particular order. */
  list(): coreV1Pod.Pod[];
}

/** A container instance of a pod: its runtime id and the CRI log file it writes. */
export interface ContainerInstance {
  id: string;
  /** Absolute path of the instance's CRI-format log file (see paths.ts). */
  logPath: string;
}

/**
 * Finds a pod's container instances in the runtime. Called once per logs or exec request; may
 * query the runtime. Resolves undefined when there is no such instance (not yet created, or no
 * earlier attempt); rejects only when the runtime fails.
 */
export interface ContainerLocator {
  /** The current instance (`previous` false) or the one before it (`previous` true, the last terminated attempt). */
  containerId(pod: coreV1Pod.Pod, container: string, previous: boolean): Promise<ContainerInstance | undefined>;
}
