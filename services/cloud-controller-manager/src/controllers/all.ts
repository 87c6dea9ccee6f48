// Imports every cloud controller file so each registers itself in the registry.
import "./cloud-node.js";
import "./service.js";
import "./node-ipam.js";
import "./route.js";
import "./volume.js";
