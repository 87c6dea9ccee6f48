// Imports every controller file so each registers itself in the registry.
import "./replicaset.js";
import "./deployment.js";
import "./daemonset.js";
import "./statefulset.js";
import "./job.js";
import "./cronjob.js";
import "./garbage-collector.js";
import "./namespace.js";
import "./node-lifecycle.js";
import "./endpoints.js";
import "./endpointslice.js";
