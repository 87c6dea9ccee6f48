// @kubeplane/kube-proxy.
import type { RunContext } from "@kubeplane/service-kit";
import type { KubeProxyConfig } from "./config.js";

export { kubeProxyConfig, type KubeProxyConfig } from "./config.js";

/** The service's `run`: serves until SIGTERM. */
export async function run(_config: KubeProxyConfig, ctx: RunContext): Promise<void> {
  await new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve(), { once: true }));
}
