// NetworkPolicy enforcement inside kube-proxy: informers on Pods, Namespaces and NetworkPolicies feed the netpol table's enforcer.
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { promisify } from "node:util";
import { kindFor, type KindInfo, type coreV1Pod, type coreV1Config } from "@kubeplane/api";
import type { SharedInformerFactory } from "@kubeplane/client";
import type { Logger } from "@kubeplane/service-kit";
import type { Registry } from "prom-client";
import type { NftRunner } from "../nft-runner.js";
import { NetworkPolicyEnforcer } from "./enforcer.js";
import { netpolMetrics } from "./metrics.js";
import { netpolPod, type NetpolPod, type NetworkPolicy } from "./model.js";

export { compileRuleset, netpolTable, renderNetpolCleanup, renderRuleset, rulesetCounts, type CompiledRuleset, type NetpolSet } from "./compile.js";
export { NetworkPolicyEnforcer, type EnforcerOptions } from "./enforcer.js";
export { netpolMetrics, type NetpolMetrics } from "./metrics.js";
export { netpolPod, type NetpolModel, type NetpolPod } from "./model.js";

const pods = kindFor("v1", "Pod") as KindInfo<coreV1Pod.Pod>;
const namespaces = kindFor("v1", "Namespace") as KindInfo<coreV1Config.Namespace>;
const policies = kindFor("networking.k8s.io/v1", "NetworkPolicy") as KindInfo<NetworkPolicy>;

/** Where and how to enforce. */
export interface NetworkPolicyOptions {
  runner: NftRunner;
  /** Enforce for the pods of these nodes; undefined: for every pod of the cluster. */
  nodes: ReadonlySet<string> | undefined;
  minSyncPeriodMs: number;
  syncPeriodMs: number;
  logger: Logger;
  registry: Registry;
}

/**
 * Registers the Pod, Namespace and NetworkPolicy informers on `informers` (call before it starts)
 * and returns the enforcer they notify; its `run` must be called once the caches synced.
 */
export function networkPolicyEnforcer(informers: SharedInformerFactory, opts: NetworkPolicyOptions): NetworkPolicyEnforcer {
  const podInformer = informers.informerFor(pods);
  const namespaceInformer = informers.informerFor(namespaces);
  const policyInformer = informers.informerFor(policies);
  const enforcer = new NetworkPolicyEnforcer({
    runner: opts.runner,
    model: () => ({
      pods: podInformer.lister.list().map(netpolPod).filter((p): p is NetpolPod => p !== undefined),
      namespaces: new Map(namespaceInformer.lister.list().map((ns) => [ns.metadata?.name ?? "", ns.metadata?.labels ?? {}])),
      policies: policyInformer.lister.list(),
      nodes: opts.nodes,
    }),
    minSyncPeriodMs: opts.minSyncPeriodMs,
    syncPeriodMs: opts.syncPeriodMs,
    logger: opts.logger,
    metrics: netpolMetrics(opts.registry),
  });
  const handler = { onAdd: () => enforcer.changed(), onUpdate: () => enforcer.changed(), onDelete: () => enforcer.changed() };
  podInformer.addEventHandler(handler);
  namespaceInformer.addEventHandler(handler);
  policyInformer.addEventHandler(handler);
  return enforcer;
}

/**
 * Pods on one bridge talk at layer 2: the inet forward hook sees that traffic only through
 * br_netfilter (`net.bridge.bridge-nf-call-iptables=1`, as Kubernetes requires of a node).
 * Returns what the namespace says: "1", "0", or undefined when br_netfilter is absent.
 */
export async function bridgeNetfilter(netns: string, family: 4 | 6 = 4): Promise<string | undefined> {
  const file = `/proc/sys/net/bridge/bridge-nf-call-ip${family === 6 ? "6" : ""}tables`;
  try {
    const text = netns ? (await promisify(execFile)("ip", ["netns", "exec", netns, "cat", file])).stdout : await readFile(file, "utf8");
    return text.trim();
  } catch {
    return undefined;
  }
}
