// Simulated mode (scale tests only, like kubemark/KWOK): nodes and pods reported without running anything.
export { startSimulatedNodes, SimulationError, type SimulatedNodes, type SimulatedNodesOptions } from "./simulated-nodes.js";
export { SIMULATED_NODE_LABEL } from "./simulated-node.js";
export { simulatedPodCidr } from "./pod-ips.js";
