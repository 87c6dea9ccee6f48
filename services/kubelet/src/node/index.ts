// The kubelet's node side: registration, status, Lease (see node-agent.ts).
export { startNodeAgent, NodeAgentStoppedError, type NodeAgent, type NodeAgentOptions } from "./node-agent.js";
export type { NodeHealth } from "./node-conditions.js";
export { DEFAULT_MAX_PODS, type ResourceList } from "./host-info.js";
