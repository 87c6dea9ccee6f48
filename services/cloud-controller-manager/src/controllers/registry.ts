// The cloud controllers by the name `--controllers` uses: one explicit descriptor list, no registration by import side effect.
import { newCloudNodeController } from "./cloud-node.js";
import type { ControllerConstructor } from "./context.js";
import { newNodeIpamController } from "./node-ipam.js";
import { newRouteController } from "./route.js";
import { newServiceController } from "./service.js";
import { newVolumeController } from "./volume.js";

export { selectControllers } from "@kubeplane/controller";

/** One cloud controller: the name `--controllers` selects it by, and what builds it on the manager. */
export interface ControllerDescriptor {
  readonly name: string;
  readonly construct: ControllerConstructor;
}

/** Every cloud controller, in the order they are built. */
export const controllerDescriptors: readonly ControllerDescriptor[] = [
  { name: "cloud-node", construct: newCloudNodeController },
  { name: "service", construct: newServiceController },
  { name: "node-ipam", construct: newNodeIpamController },
  { name: "route", construct: newRouteController },
  { name: "volume", construct: newVolumeController },
];

/** name → constructor, built once from controllerDescriptors; the cloud-controller-manager reads it when it starts. */
export const controllerRegistry: Record<string, ControllerConstructor> = Object.fromEntries(controllerDescriptors.map((d) => [d.name, d.construct]));
