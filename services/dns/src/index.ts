// @kubeplane/dns.
import type { RunContext } from "@kubeplane/service-kit";
import type { DnsConfig } from "./config.js";

export { dnsConfig, type DnsConfig } from "./config.js";

/** The service's `run`: serves until SIGTERM. */
export async function run(_config: DnsConfig, ctx: RunContext): Promise<void> {
  await new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve(), { once: true }));
}
