// @kubeplane/kubelet.
import type { RunContext } from "@kubeplane/service-kit";
import type { KubeletConfig } from "./config.js";

export { kubeletConfig, type KubeletConfig } from "./config.js";

/** The service's `run`: serves until SIGTERM. */
export async function run(_config: KubeletConfig, ctx: RunContext): Promise<void> {
  await new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve(), { once: true }));
}
