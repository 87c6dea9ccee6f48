// The in-tree plugins by the names profiles use (kube-scheduler's plugins.NewInTreeRegistry): the one place plugins are listed.
import type { Registry } from "../framework/registry.js";
import { NAME as DEFAULT_BINDER, newDefaultBinder } from "./default-binder.js";
import { NAME as DEFAULT_PREEMPTION, newDefaultPreemption } from "./default-preemption.js";
import { IMAGE_LOCALITY, newImageLocality } from "./image-locality.js";
import { NAME as INTER_POD_AFFINITY, newInterPodAffinity } from "./inter-pod-affinity.js";
import { NODE_AFFINITY, newNodeAffinity } from "./node-affinity.js";
import { NODE_NAME, newNodeName } from "./node-name.js";
import { NODE_PORTS, newNodePorts } from "./node-ports.js";
import { NODE_RESOURCES_BALANCED_ALLOCATION, newNodeResourcesBalancedAllocation } from "./node-resources-balanced-allocation.js";
import { NODE_RESOURCES_FIT, newNodeResourcesFit } from "./node-resources-fit.js";
import { NODE_UNSCHEDULABLE, newNodeUnschedulable } from "./node-unschedulable.js";
import { NAME as POD_TOPOLOGY_SPREAD, newPodTopologySpread } from "./pod-topology-spread.js";
import { TAINT_TOLERATION, newTaintToleration } from "./taint-toleration.js";
import { NAME as VOLUME_BINDING, newVolumeBinding } from "./volume-binding.js";

/** A new registry of every in-tree plugin; callers may merge out-of-tree ones in (mergeRegistries). */
export function inTreeRegistry(): Registry {
  return Object.freeze({
    [NODE_UNSCHEDULABLE]: newNodeUnschedulable,
    [NODE_NAME]: newNodeName,
    [TAINT_TOLERATION]: newTaintToleration,
    [NODE_AFFINITY]: newNodeAffinity,
    [NODE_PORTS]: newNodePorts,
    [NODE_RESOURCES_FIT]: newNodeResourcesFit,
    [VOLUME_BINDING]: newVolumeBinding,
    [POD_TOPOLOGY_SPREAD]: newPodTopologySpread,
    [INTER_POD_AFFINITY]: newInterPodAffinity,
    [DEFAULT_PREEMPTION]: newDefaultPreemption,
    [NODE_RESOURCES_BALANCED_ALLOCATION]: newNodeResourcesBalancedAllocation,
    [IMAGE_LOCALITY]: newImageLocality,
    [DEFAULT_BINDER]: newDefaultBinder,
  });
}
