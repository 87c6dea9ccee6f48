// kube-proxy's switch for NetworkPolicy enforcement: starts the enforcer (flag on) or removes its table (flag off, --cleanup).
import type { SharedInformerFactory } from "@kubeplane/client";
import type { Logger, Service } from "@kubeplane/service-kit";
import type { KubeProxyConfig } from "../config.js";
import { nftRunner } from "../nft-runner.js";
import { netpolTable, renderNetpolCleanup } from "./compile.js";
import type { NetworkPolicyEnforcer } from "./enforcer.js";
import { bridgeNetfilter, networkPolicyEnforcer } from "./index.js";

/**
 * With `--network-policy` (the default), registers the informers and returns the enforcer to run
 * after the caches synced; without it, removes a table left by an earlier run and returns undefined.
 */
export async function startNetworkPolicy(config: KubeProxyConfig, informers: SharedInformerFactory, nodeName: string, service: Service): Promise<NetworkPolicyEnforcer | undefined> {
  const logger = service.logger;
  if (!config.networkPolicy) {
    await stopNetworkPolicy(config, logger);
    return undefined;
  }
  const bridged = await bridgeNetfilter(config.netns);
  if (bridged !== "1") {
    logger.warn({ netns: config.netns || undefined, bridgeNfCallIptables: bridged ?? "absent" }, "net.bridge.bridge-nf-call-iptables is not 1: NetworkPolicy cannot see traffic between pods on one bridge");
  }
  const nodes = config.networkPolicyNodes.includes("*") ? undefined : new Set(config.networkPolicyNodes.length ? config.networkPolicyNodes : [nodeName]);
  logger.info({ table: `inet ${netpolTable}`, nodes: nodes ? [...nodes] : "*" }, "enforcing network policies");
  return networkPolicyEnforcer(informers, {
    runner: nftRunner(config.netns),
    nodes,
    minSyncPeriodMs: config.minSyncPeriod,
    syncPeriodMs: config.syncPeriod,
    logger,
    registry: service.metrics,
  });
}

/** Removes the NetworkPolicy table when it exists. */
export async function stopNetworkPolicy(config: KubeProxyConfig, logger: Logger): Promise<void> {
  const runner = nftRunner(config.netns);
  if (!(await runner.list("inet", netpolTable))) return;
  await runner.apply(renderNetpolCleanup());
  logger.info({ netns: config.netns || undefined, table: `inet ${netpolTable}` }, "removed the network policy nftables table");
}
