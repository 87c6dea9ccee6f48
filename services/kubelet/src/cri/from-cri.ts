// Maps CRI runtime.v1 reply messages to the kubelet's plain runtime types (runtime/types.ts).
import * as cri from "../gen/runtime/v1/api.js";
import type {
  ContainerMetadata,
  ContainerState,
  ContainerStats,
  ContainerStatus,
  ContainerSummary,
  Image,
  PodSandboxMetadata,
  PodSandboxStatus,
  PodSandboxSummary,
  SandboxState,
} from "../runtime/types.js";

/**
 * CRI int64/uint64 values as numbers. Nanosecond timestamps (~1.8e18) exceed 2^53, so they keep
 * about 0.25 µs of precision: plenty for ordering and durations the kubelet computes.
 */
function num(value: bigint | undefined): number {
  return value === undefined ? 0 : Number(value);
}

function sandboxMetadata(metadata: cri.PodSandboxMetadata | undefined): PodSandboxMetadata {
  return { name: metadata?.name ?? "", namespace: metadata?.namespace ?? "", uid: metadata?.uid ?? "", attempt: metadata?.attempt ?? 0 };
}

function containerMetadata(metadata: cri.ContainerMetadata | undefined): ContainerMetadata {
  return { name: metadata?.name ?? "", attempt: metadata?.attempt ?? 0 };
}

function sandboxState(state: cri.PodSandboxState): SandboxState {
  return state === cri.PodSandboxState.SANDBOX_READY ? "ready" : "notready";
}

function containerState(state: cri.ContainerState): ContainerState {
  switch (state) {
    case cri.ContainerState.CONTAINER_CREATED:
      return "created";
    case cri.ContainerState.CONTAINER_RUNNING:
      return "running";
    case cri.ContainerState.CONTAINER_EXITED:
      return "exited";
    default:
      return "unknown";
  }
}

export function fromCriSandboxStatus(status: cri.PodSandboxStatus): PodSandboxStatus {
  return {
    id: status.id,
    metadata: sandboxMetadata(status.metadata),
    state: sandboxState(status.state),
    createdAt: num(status.createdAt),
    ip: status.network?.ip ?? "",
    additionalIps: (status.network?.additionalIps ?? []).map((podIp) => podIp.ip),
    labels: status.labels,
    annotations: status.annotations,
  };
}

export function fromCriSandbox(sandbox: cri.PodSandbox): PodSandboxSummary {
  return {
    id: sandbox.id,
    metadata: sandboxMetadata(sandbox.metadata),
    state: sandboxState(sandbox.state),
    createdAt: num(sandbox.createdAt),
    labels: sandbox.labels,
    annotations: sandbox.annotations,
  };
}

export function fromCriContainer(container: cri.Container): ContainerSummary {
  return {
    id: container.id,
    podSandboxId: container.podSandboxId,
    metadata: containerMetadata(container.metadata),
    image: container.image?.image ?? "",
    imageRef: container.imageRef,
    state: containerState(container.state),
    createdAt: num(container.createdAt),
    labels: container.labels,
    annotations: container.annotations,
  };
}

export function fromCriContainerStatus(status: cri.ContainerStatus): ContainerStatus {
  return {
    id: status.id,
    metadata: containerMetadata(status.metadata),
    state: containerState(status.state),
    createdAt: num(status.createdAt),
    startedAt: num(status.startedAt),
    finishedAt: num(status.finishedAt),
    exitCode: status.exitCode,
    reason: status.reason,
    message: status.message,
    image: status.image?.image ?? "",
    imageRef: status.imageRef,
    logPath: status.logPath,
    labels: status.labels,
    annotations: status.annotations,
  };
}

export function fromCriContainerStats(stats: cri.ContainerStats): ContainerStats {
  return {
    id: stats.attributes?.id ?? "",
    metadata: containerMetadata(stats.attributes?.metadata),
    labels: stats.attributes?.labels ?? {},
    timestamp: num(stats.cpu?.timestamp ?? stats.memory?.timestamp),
    cpuUsageCoreNanoSeconds: num(stats.cpu?.usageCoreNanoSeconds?.value),
    memoryWorkingSetBytes: num(stats.memory?.workingSetBytes?.value),
  };
}

export function fromCriImage(image: cri.Image): Image {
  return { id: image.id, repoTags: image.repoTags, repoDigests: image.repoDigests, size: num(image.size) };
}
