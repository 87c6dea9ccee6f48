// @kubeplane/scheduler: the scheduling framework, its plugins and the scheduler service (issue 3, under construction).
export * from "./framework/interface.js";
export { MutableNodeInfo, nodeInfoOf } from "./framework/node-info.js";
export { newPodInfo } from "./framework/pod-info.js";
export { emptyResource, nodeAllocatable, podRequests, resourceFromList } from "./framework/resources.js";
export { pluginFactory, registerPlugin, registeredPlugins } from "./framework/plugin-registry.js";
import "./plugins/all.js";
