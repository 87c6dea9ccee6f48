// The kubelet's node side in one entry point: register the Node, keep its status and its Lease current.
import { platform } from "node:os";
import type { coreV1Node } from "@kubeplane/api";
import type { ApiClient } from "@kubeplane/client";
import type { Logger } from "@kubeplane/service-kit";
import type { Registry } from "prom-client";
import type { Image } from "../runtime/types.js";
import { allocatableFrom } from "./allocatable.js";
import { goArch, readHostInfo, type ResourceList } from "./host-info.js";
import type { NodeHealth } from "./node-conditions.js";
import { nodeImages } from "./node-images.js";
import { NodeLeaseRenewer } from "./node-lease.js";
import { nodeMetrics } from "./node-metrics.js";
import { defaultNodeLabels, registerNode } from "./node-registration.js";
import { NodeStatusSync, desiredNodeStatus, safeHealth, type NodeEventRecorder, type NodeStatusSource } from "./node-status.js";
import { pause } from "./wakeup.js";

type Node = coreV1Node.Node;

/** Everything the node agent needs; intervals default to the kubelet's. */
export interface NodeAgentOptions {
  client: ApiClient;
  logger: Logger;
  registry: Registry;
  nodeName: string;
  /** The kubelet's root directory (ephemeral-storage capacity is its filesystem's size). */
  rootDir: string;
  /** InternalIP addresses (one per family); default the host's first non-loopback IPv4 ("127.0.0.1" for a loopback-only node). */
  nodeIps?: readonly string[];
  /** The Hostname address and kubernetes.io/hostname label; default the node name. */
  hostname?: string;
  /** --node-labels: added to the well-known ones. */
  labels?: Record<string, string>;
  /** --register-with-taints: only applied when the Node is created. */
  taints?: coreV1Node.Taint[];
  /** --pod-cidr: the Node's spec.podCIDR when it is created. */
  podCidr?: string | undefined;
  /** --max-pods; default 110. */
  maxPods?: number;
  /** --system-reserved, --kube-reserved, --eviction-hard's amounts: subtracted from capacity for allocatable. */
  systemReserved?: ResourceList;
  kubeReserved?: ResourceList;
  evictionHard?: ResourceList;
  kubeletVersion: string;
  /** e.g. "containerd://1.6.20". */
  containerRuntimeVersion: string;
  /** The port of the kubelet's node API (status.daemonEndpoints.kubeletEndpoint.port). */
  kubeletPort: number;
  /** The runtime's images (ImageService.listImages); default none. */
  images?: () => Promise<Image[]>;
  /** Whether the node can run pods (runtime up, network ready…); default always ready. */
  healthy?: () => NodeHealth;
  /** --node-status-update-frequency; default 10 s. */
  statusUpdateIntervalMs?: number;
  /** --node-status-report-frequency: an unchanged status is written this often; default 1 min. */
  statusReportIntervalMs?: number;
  /** --node-lease-duration-seconds; default 40. */
  leaseDurationSeconds?: number;
  /** Default 10 s. */
  leaseRenewIntervalMs?: number;
  /** Where the Node's events go (NodeReady / NodeNotReady); default nowhere. */
  recordEvent?: NodeEventRecorder;
  /** Aborting stops the agent, as `stop()` does. */
  signal?: AbortSignal;
}

/** A running node agent. Its methods may be called from anywhere, any number of times. */
export interface NodeAgent {
  /** The Node as last read or written; undefined until registered. */
  node(): Node | undefined;
  /** Resolves once the Node is registered; rejects if the agent stops first. */
  waitForRegistration(): Promise<Node>;
  /** Asks for a status sync now (something it reports changed, e.g. health). */
  syncStatus(): void;
  /** Stops renewing and syncing; resolves when every loop has ended. Writes nothing more. */
  stop(): Promise<void>;
}

/** Thrown by `waitForRegistration` when the agent stopped before the Node was registered. */
export class NodeAgentStoppedError extends Error {
  readonly code = "NodeAgentStopped";
  constructor(nodeName: string) {
    super(`node agent of ${nodeName} stopped before the node was registered`);
    this.name = "NodeAgentStoppedError";
  }
}

/**
 * Starts the node agent: reads the host, registers the Node (retrying with back-off until it
 * succeeds), then renews the Lease and syncs the status until stopped. Never throws; failures are
 * logged and retried.
 */
export function startNodeAgent(opts: NodeAgentOptions): NodeAgent {
  const abort = new AbortController();
  const signal = abort.signal;
  opts.signal?.addEventListener("abort", () => abort.abort(), { once: true });
  if (opts.signal?.aborted) abort.abort();
  const logger = opts.logger.child({ component: "node-agent", kind: "Node", name: opts.nodeName });
  const metrics = nodeMetrics(opts.registry);
  let registered: Node | undefined;
  let sync: NodeStatusSync | undefined;
  const waiters: Array<{ resolve(n: Node): void; reject(e: Error): void }> = [];

  const run = async (): Promise<void> => {
    const started = performance.now();
    const source = await retry("read host information", () => statusSource(opts), logger, signal);
    if (!source) return;
    const hostname = opts.hostname ?? opts.nodeName;
    const labels = { ...defaultNodeLabels(hostname, platform(), goArch(process.arch)), ...opts.labels };
    const node = await retry("register the node", async () => {
      const images = await source.images().catch(() => []);
      const status = desiredNodeStatus(undefined, source, safeHealth(source), images, new Date());
      return registerNode(opts.client, { nodeName: opts.nodeName, labels, taints: opts.taints ?? [], podCidr: opts.podCidr, status }, signal);
    }, logger, signal);
    if (!node) return;
    registered = node;
    metrics.nodeName.set({ node: opts.nodeName }, 1);
    metrics.registrationSeconds.set({ node: opts.nodeName }, (performance.now() - started) / 1000);
    logger.info({ uid: node.metadata?.uid }, "node registered");
    for (const w of waiters.splice(0)) w.resolve(node);
    sync = new NodeStatusSync({
      client: opts.client,
      logger,
      nodeName: opts.nodeName,
      source,
      updateIntervalMs: opts.statusUpdateIntervalMs,
      reportIntervalMs: opts.statusReportIntervalMs,
      recordEvent: opts.recordEvent,
    });
    const lease = new NodeLeaseRenewer({
      client: opts.client,
      logger,
      nodeName: opts.nodeName,
      ownerUid: () => (sync?.node ?? registered)?.metadata?.uid,
      durationSeconds: opts.leaseDurationSeconds,
      renewIntervalMs: opts.leaseRenewIntervalMs,
    });
    await Promise.all([sync.run(signal), lease.run(signal)]);
  };

  const done = run()
    .catch((err: unknown) => logger.error({ err }, "node agent failed"))
    .finally(() => {
      for (const w of waiters.splice(0)) w.reject(new NodeAgentStoppedError(opts.nodeName));
    });

  return {
    node: () => sync?.node ?? registered,
    waitForRegistration: () =>
      registered
        ? Promise.resolve(registered)
        : signal.aborted
          ? Promise.reject(new NodeAgentStoppedError(opts.nodeName))
          : new Promise<Node>((resolve, reject) => waiters.push({ resolve, reject })),
    syncStatus: () => sync?.trigger(),
    async stop() {
      abort.abort();
      await done;
    },
  };
}

/** The node status inputs: host information read once, images and health asked at every sync. */
async function statusSource(opts: NodeAgentOptions): Promise<NodeStatusSource> {
  const host = await readHostInfo({
    rootDir: opts.rootDir,
    maxPods: opts.maxPods,
    ...(opts.nodeIps ? { nodeIps: opts.nodeIps } : {}),
    hostname: opts.hostname ?? opts.nodeName,
    kubeletVersion: opts.kubeletVersion,
    containerRuntimeVersion: opts.containerRuntimeVersion,
  });
  return {
    ...host,
    allocatable: allocatableFrom(host.capacity, opts.systemReserved, opts.kubeReserved, opts.evictionHard),
    kubeletPort: opts.kubeletPort,
    images: async () => nodeImages(opts.images ? await opts.images() : []),
    health: opts.healthy ?? (() => ({ ready: true })),
  };
}

/** Runs `op` until it succeeds (back-off 200 ms doubling to 10 s); undefined if the signal aborts first. */
async function retry<T>(what: string, op: () => Promise<T>, logger: Logger, signal: AbortSignal): Promise<T | undefined> {
  let backoff = 200;
  while (!signal.aborted) {
    try {
      return await op();
    } catch (err) {
      if (signal.aborted) break;
      logger.warn({ err, retryInMs: backoff }, `failed to ${what}; retrying`);
      await pause(backoff, signal);
      backoff = Math.min(backoff * 2, 10_000);
    }
  }
  return undefined;
}
