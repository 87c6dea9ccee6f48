// The kubelet's core/v1 Events about pods, their containers and its node: reasons and messages as
// Kubernetes' kubelet writes them (pkg/kubelet/events), recorded through the background EventBroadcaster.
import { kindFor, type coreV1Pod, type KindInfo } from "@kubeplane/api";
import type { EventBroadcaster, EventType } from "@kubeplane/client";

type Pod = coreV1Pod.Pod;

const podKind = kindFor("v1", "Pod") as KindInfo<Pod>;

/** Event reasons, named as in Kubernetes' pkg/kubelet/events. */
export const EVENT_REASONS = {
  PullingImage: "Pulling",
  PulledImage: "Pulled",
  FailedToPullImage: "Failed",
  BackOffPullImage: "BackOff",
  ErrImageNeverPull: "ErrImageNeverPull",
  CreatedContainer: "Created",
  StartedContainer: "Started",
  FailedToCreateContainer: "Failed",
  FailedToStartContainer: "Failed",
  KillingContainer: "Killing",
  BackOffStartContainer: "BackOff",
  ContainerUnhealthy: "Unhealthy",
  FailedPostStartHook: "FailedPostStartHook",
  FailedPreStopHook: "FailedPreStopHook",
  FailedMountVolume: "FailedMount",
  SandboxChanged: "SandboxChanged",
  StartingKubelet: "Starting",
  NodeReady: "NodeReady",
  NodeNotReady: "NodeNotReady",
} as const;

/**
 * Records an Event about a pod. Returns at once and never throws: the write happens in the
 * background and may be dropped under a burst (events are for humans, not for reconciling).
 * Callers record on the action itself (a pull, a start, a kill, a failed probe run), not on every
 * pass that merely observes a state, so a relist does not repeat them.
 */
export type PodEventRecorder = (pod: Pod, type: EventType, reason: string, message: string, container?: string) => void;

/** A PodEventRecorder writing through `events` (involvedObject: the pod, and the container's field path when given). */
export function podEventRecorder(events: Pick<EventBroadcaster, "record">): PodEventRecorder {
  return (pod, type, reason, message, container) => events.record(podKind, pod, type, reason, message, reason, container ? containerFieldPath(pod, container) : "");
}

/** The involvedObject.fieldPath of a container's events, as the kubelet's: `spec.containers{NAME}` (or initContainers). */
export function containerFieldPath(pod: Pod, container: string): string {
  const init = pod.spec?.initContainers.some((c) => c.name === container);
  return `spec.${init ? "initContainers" : "containers"}{${container}}`;
}

/** The Unhealthy event's message for a failed probe run: "Liveness probe failed: OUTPUT". */
export function probeFailedMessage(kind: "liveness" | "readiness" | "startup", output: string): string {
  return `${kind[0]!.toUpperCase()}${kind.slice(1)} probe failed: ${output.trim()}`;
}

/** A pod as Kubernetes' format.Pod prints it in messages: name_namespace(uid). */
export function formatPod(pod: Pod): string {
  return `${pod.metadata?.name ?? ""}_${pod.metadata?.namespace ?? ""}(${pod.metadata?.uid ?? ""})`;
}
