// Imports every plugin file so each registers itself (framework/plugin-registry.ts).
import "./node-name.js";
import "./node-unschedulable.js";
import "./node-resources-fit.js";
import "./node-resources-balanced-allocation.js";
import "./node-ports.js";
import "./image-locality.js";
import "./taint-toleration.js";
import "./node-affinity.js";
import "./inter-pod-affinity.js";
import "./pod-topology-spread.js";
import "./volume-binding.js";
import "./default-preemption.js";
import "./default-binder.js";
