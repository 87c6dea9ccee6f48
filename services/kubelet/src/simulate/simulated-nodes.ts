// Simulated mode's entry point (scale tests only, like kubemark/KWOK): N Nodes that report their pods Running without running anything.
import { setMaxListeners } from "node:events";
import type { coreV1Node } from "@kubeplane/api";
import type { ApiClient, WatchConnection } from "@kubeplane/client";
import type { Logger } from "@kubeplane/service-kit";
import type { Registry } from "prom-client";
import { DEFAULT_LEASE_DURATION_SECONDS } from "../node/node-lease.js";
import type { ResourceList } from "../node/host-info.js";
import { pause } from "../node/wakeup.js";
import { LeaseHeartbeats } from "./lease-heartbeats.js";
import { simulatedPodCidr } from "./pod-ips.js";
import { simulateMetrics } from "./simulate-metrics.js";
import { registerSimulatedNode, type SimulatedNodeTemplate } from "./simulated-node.js";
import { PodSimulator } from "./simulated-pods.js";
import { SimulatedUsage, simulatedNodeCert, startSimulatedStatsServer, type SimulatedStatsServer } from "./simulated-stats.js";

/** What `startSimulatedNodes` needs. */
export interface SimulatedNodesOptions {
  client: ApiClient;
  /** The JetStream the apiserver publishes watch events to (for the one pods informer). */
  watch: WatchConnection;
  logger: Logger;
  registry: Registry;
  /** How many nodes: `${namePrefix}0` … `${namePrefix}${count-1}` (at most 32768). */
  count: number;
  /** Default "sim-node-". */
  namePrefix?: string;
  /** Index of the first node (several simulations side by side); default 0. */
  firstIndex?: number;
  /** Capacity (= allocatable) of every node; default cpu 32, memory 256Gi, pods 110, ephemeral-storage 1Ti. */
  capacity?: ResourceList;
  /** Extra labels of every node (they always carry kubeplane.io/simulated=true). */
  labels?: Record<string, string>;
  /** Taints of every node (e.g. one only scale-test pods tolerate); default none. */
  taints?: coreV1Node.Taint[];
  /** InternalIP of every node and hostIP of their pods; default 127.0.0.1 (nothing listens for them). */
  nodeIp?: string;
  kubeletVersion?: string;
  /** Default 40. */
  leaseDurationSeconds?: number;
  /** Each Lease is renewed this often, the renewals spread over the interval; default 10 s (n/10 writes/s). */
  leaseRenewIntervalMs?: number;
  /** Pod status writes and deletions in flight at most; default 32. */
  concurrency?: number;
  /** Node registrations and lease renewals in flight at most; default 32. */
  nodeConcurrency?: number;
  /**
   * Resource usage (tests of metrics.k8s.io and the HPA): a node whose own serving certificate is in
   * `certDir` (node-<name>.crt/.key) serves the kubelet's stats on a free loopback port, with mutual
   * TLS against `caFile`; its pods use what their kubeplane.io/simulated-*-usage annotations say.
   */
  stats?: { certDir: string; caFile: string };
}

/** A running simulation. */
export interface SimulatedNodes {
  /** The simulated nodes' names, in index order. */
  readonly nodeNames: readonly string[];
  /** Resolves once every node is registered with its Lease and the pods informer has synced; rejects if it stops first. */
  ready(): Promise<void>;
  /** Pods currently reported Running on the simulated nodes. */
  runningPods(): number;
  /** Stops renewing and reporting; resolves when every loop ended. The Nodes stay (and go NotReady). */
  stop(): Promise<void>;
}

/** Thrown by `ready()` when the simulation stopped before it was ready, or for invalid options. */
export class SimulationError extends Error {
  readonly code = "SimulationError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "SimulationError";
  }
}

const DEFAULT_CAPACITY: ResourceList = { cpu: "32", memory: "256Gi", pods: "110", "ephemeral-storage": "1Ti" };

/**
 * Starts simulated mode: registers `count` Nodes (Ready, with Leases), then keeps the Leases
 * renewed and reports every pod bound to them Running, until stopped. Throws SimulationError at
 * once for invalid options; later failures are logged and retried.
 */
export function startSimulatedNodes(opts: SimulatedNodesOptions): SimulatedNodes {
  const prefix = opts.namePrefix ?? "sim-node-";
  const first = opts.firstIndex ?? 0;
  const durationSeconds = opts.leaseDurationSeconds ?? DEFAULT_LEASE_DURATION_SECONDS;
  const renewIntervalMs = opts.leaseRenewIntervalMs ?? 10_000;
  if (!Number.isInteger(opts.count) || opts.count < 0 || first + opts.count > 32_768) throw new SimulationError(`cannot simulate ${opts.count} nodes from index ${first} (at most 32768 in all)`);
  if (opts.stats && !opts.stats.caFile) throw new SimulationError("serving simulated stats needs the cluster CA (tlsClientCaFile or caFile) to verify the apiserver with");
  if (renewIntervalMs >= durationSeconds * 1000) throw new SimulationError(`the lease renew interval (${renewIntervalMs} ms) must be shorter than the lease duration (${durationSeconds} s)`);
  const template: SimulatedNodeTemplate = {
    capacity: opts.capacity ?? DEFAULT_CAPACITY,
    labels: opts.labels ?? {},
    taints: opts.taints ?? [],
    nodeIp: opts.nodeIp ?? "127.0.0.1",
    kubeletVersion: opts.kubeletVersion ?? "v1.31.0-kubeplane-simulated",
  };
  const logger = opts.logger.child({ component: "simulated-nodes" });
  const metrics = simulateMetrics(opts.registry);
  const nodeConcurrency = opts.nodeConcurrency ?? 32;
  const nodeNames = Array.from({ length: opts.count }, (_, i) => `${prefix}${first + i}`);
  // Back from a partition: post the node Ready again (the controller may have marked it Unknown), as a kubelet's status sync does.
  const onRecovered = async (node: { name: string }, signal: AbortSignal): Promise<void> => {
    await registerSimulatedNode(opts.client, node.name, simulatedPodCidr(first + nodeNames.indexOf(node.name)), template, new Date(), signal, await statsPort(node.name));
  };
  const heartbeats = new LeaseHeartbeats({ client: opts.client, logger, durationSeconds, renewIntervalMs, concurrency: nodeConcurrency, onRecovered });
  const pods = new PodSimulator({ client: opts.client, watch: opts.watch, logger, metrics, hostIp: template.nodeIp, concurrency: opts.concurrency ?? 32 });
  const abort = new AbortController();
  const signal = abort.signal;
  // Every request in flight listens on this one signal: hundreds at once are expected.
  setMaxListeners(0, signal);

  const statsServers = new Map<string, SimulatedStatsServer>();
  const usage = new SimulatedUsage();
  /** The node's stats endpoint port, started once, when the node has a certificate to serve it with. */
  const statsPort = async (name: string): Promise<number> => {
    const cert = opts.stats && simulatedNodeCert(opts.stats.certDir, name);
    if (!opts.stats || !cert) return 0;
    let server = statsServers.get(name);
    if (!server) {
      server = await startSimulatedStatsServer({ nodeName: name, cert, caFile: opts.stats.caFile, logger, summary: () => usage.summary(name, pods.podsOn(name)) });
      statsServers.set(name, server);
    }
    return server.port;
  };

  const register = async (i: number): Promise<void> => {
    const name = nodeNames[i]!;
    const podCidr = simulatedPodCidr(first + i);
    for (let backoff = 200; !signal.aborted; backoff = Math.min(backoff * 2, 5000)) {
      try {
        const node = await registerSimulatedNode(opts.client, name, podCidr, template, new Date(), signal, await statsPort(name));
        const uid = node.metadata?.uid ?? "";
        await heartbeats.renew({ name, uid }, signal);
        heartbeats.add(name, uid);
        pods.addNode(name, node.spec?.podCidr || podCidr);
        metrics.nodeName.set({ node: name }, 1);
        return;
      } catch (err) {
        if (signal.aborted) return;
        logger.warn({ err, kind: "Node", name, retryInMs: backoff }, "failed to register a simulated node; retrying");
        await pause(backoff, signal);
      }
    }
  };

  const registerAll = async (): Promise<void> => {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < nodeNames.length && !signal.aborted) await register(next++);
    };
    await Promise.all(Array.from({ length: Math.min(nodeConcurrency, nodeNames.length) }, () => worker()));
  };

  const podsRunning = pods.run(signal);
  const registered = registerAll();
  const heartbeating = registered.then(() => (signal.aborted ? undefined : heartbeats.run(signal)));
  const done = Promise.all([podsRunning, heartbeating]).catch((err: unknown) => logger.error({ err }, "simulated nodes failed"));
  let ready: Promise<void> | undefined;

  return {
    nodeNames,
    ready() {
      ready ??= (async () => {
        await registered;
        if (signal.aborted) throw new SimulationError("the simulation stopped before it was ready");
        await pods.waitForSync(signal).catch((err: unknown) => {
          throw new SimulationError("the simulation stopped before it was ready", { cause: err });
        });
      })();
      return ready;
    },
    runningPods: () => pods.runningPods,
    async stop() {
      abort.abort();
      await done;
      await Promise.all([...statsServers.values()].map((s) => s.stop()));
    },
  };
}
