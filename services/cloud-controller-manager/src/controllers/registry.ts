// The cloud controllers by the name `--controllers` uses.
import type { ControllerConstructor } from "./context.js";

/** name → constructor. Each controller lives in its own file and adds itself here. */
export const controllerRegistry: Record<string, ControllerConstructor> = {};

export { selectControllers } from "@kubeplane/controller";
