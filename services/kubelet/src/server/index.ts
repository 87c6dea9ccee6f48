// The kubelet's gRPC API (KubeletService): what the kubelet wires to its pod manager and runtime.
export { kubeletServiceHandlers, type KubeletServerDeps } from "./kubelet-service.js";
export { APISERVER_KUBELET_CLIENT, streamingHandlers, type StreamingServerDeps } from "./streaming-service.js";
export { readContainerLog, type LogReadOptions } from "./container-log-reader.js";
export { procNodeUsage, type NodeUsageSource } from "./node-usage.js";
export { StatsSummary, type StatsSummaryDeps } from "./stats-summary.js";
export type { ContainerInstance, ContainerLocator, PodSource } from "./sources.js";
