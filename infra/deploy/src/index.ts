// @kubeplane/deploy: renders the kubeplane chart into machine bundles, runs their units without systemd.
export { BundleError, bundlesOf, type Bundle, type HealthCheck, type MachineFile, type MachineSpec } from "./bundle.js";
export { KUBEPLANE_CHART, renderBundles, renderMachineFiles, topologyOf, writeBundles, type RenderBundlesOptions, type RenderedBundles } from "./render-bundles.js";
export { ADMIN_KUBECONFIG, adminKubeconfig, restEndpoints, writeAdminKubeconfig, type AdminPem } from "./admin-kubeconfig.js";
