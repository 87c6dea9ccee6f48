// @kubeplane/cloud-controller-manager.
import type { RunContext } from "@kubeplane/service-kit";
import type { CloudControllerManagerConfig } from "./config.js";

export { cloudControllerManagerConfig, type CloudControllerManagerConfig } from "./config.js";

/** The service's `run`: serves until SIGTERM. */
export async function run(_config: CloudControllerManagerConfig, ctx: RunContext): Promise<void> {
  await new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve(), { once: true }));
}
