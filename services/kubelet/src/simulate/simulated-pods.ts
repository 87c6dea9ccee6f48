// The pod side of simulated mode: pods bound to simulated nodes are reported Running, and deleted ones finished.
import { isConflict, isNotFound, kindFor, type coreV1Pod, type KindInfo } from "@kubeplane/api";
import { ExponentialBackoff, Informer, WorkQueue, type ApiClient, type WatchConnection } from "@kubeplane/client";
import type { Logger } from "@kubeplane/service-kit";
import { PodIpPool } from "./pod-ips.js";
import type { SimulateMetrics } from "./simulate-metrics.js";
import { reportsRunning, runningPod } from "./simulated-pod.js";

type Pod = coreV1Pod.Pod;

export const podKind = kindFor("v1", "Pod") as KindInfo<Pod>;

export interface PodSimulatorOptions {
  client: ApiClient;
  watch: WatchConnection;
  logger: Logger;
  metrics: SimulateMetrics;
  /** hostIP of every pod. */
  hostIp: string;
  /** Status writes and deletions in flight at most. */
  concurrency: number;
}

/**
 * Plays the kubelet for the pods of many simulated nodes with one pods informer (bound pods only)
 * and a bounded pool of workers: a pod bound to one of `addNode`'s nodes gets a Running status
 * with an IP from its node's /24; a pod marked for deletion is deleted with grace period 0, as a
 * kubelet does once its containers stopped. Level-triggered: a restart reads the pods' IPs back
 * from their status. One `run` per instance.
 */
export class PodSimulator {
  private readonly pools = new Map<string, PodIpPool>();
  private readonly informer: Informer<Pod>;
  private readonly queue = new WorkQueue<string>(new ExponentialBackoff<string>(5, 5000));
  private readonly firstSeen = new Map<string, number>();
  private readonly running = new Set<string>();

  constructor(private readonly opts: PodSimulatorOptions) {
    this.informer = new Informer({ client: opts.client, watch: opts.watch, kind: podKind, fieldSelector: "spec.nodeName!=", logger: opts.logger });
    this.informer.addEventHandler({
      onAdd: (pod) => this.observe(pod),
      onUpdate: (_old, pod) => this.observe(pod),
      onDelete: (pod) => this.forget(pod),
    });
  }

  /** Takes the pods of node `name` (pod CIDR `podCidr`); add nodes before their pods matter. */
  addNode(name: string, podCidr: string): void {
    this.pools.set(name, new PodIpPool(podCidr));
    for (const pod of this.informer.lister.byIndex("node", name)) this.observe(pod);
  }

  /** Resolves once the pods informer has listed (rejects when the signal aborts first). */
  waitForSync(signal: AbortSignal): Promise<void> {
    return this.informer.waitForSync(signal);
  }

  /** The running (not terminating) pods of node `name`, from the cache: what its stats report. */
  podsOn(name: string): Pod[] {
    return this.informer.lister.byIndex("node", name).filter((p) => p.status?.phase === "Running" && !p.metadata?.deletionTimestamp);
  }

  /** Pods reported Running on the simulated nodes. */
  get runningPods(): number {
    return this.running.size;
  }

  async run(signal: AbortSignal): Promise<void> {
    signal.addEventListener("abort", () => this.queue.shutDown(), { once: true });
    if (signal.aborted) this.queue.shutDown();
    const workers = Array.from({ length: this.opts.concurrency }, () => this.work(signal));
    await Promise.all([this.informer.run(signal), ...workers]);
  }

  private observe(pod: Pod): void {
    const node = pod.spec?.nodeName ?? "";
    const pool = this.pools.get(node);
    if (!pool) return;
    const key = keyOf(pod);
    const uid = pod.metadata?.uid ?? "";
    if (pod.metadata?.deletionTimestamp) {
      this.queue.add(key);
      return;
    }
    const phase = pod.status?.phase;
    if (reportsRunning(pod)) {
      pool.reserve(uid, pod.status!.podIp);
      this.setRunning(key, true);
      return;
    }
    if (phase === "Succeeded" || phase === "Failed") return;
    if (!this.firstSeen.has(key)) this.firstSeen.set(key, performance.now());
    this.queue.add(key);
  }

  private forget(pod: Pod): void {
    const key = keyOf(pod);
    this.pools.get(pod.spec?.nodeName ?? "")?.release(pod.metadata?.uid ?? "");
    this.firstSeen.delete(key);
    this.setRunning(key, false);
  }

  private setRunning(key: string, running: boolean): void {
    if (running) this.running.add(key);
    else this.running.delete(key);
    this.opts.metrics.runningPods.set(this.running.size);
  }

  private async work(signal: AbortSignal): Promise<void> {
    for (;;) {
      const item = await this.queue.get();
      if (item.shutdown) return;
      try {
        await this.sync(item.key, signal);
        this.queue.forget(item.key);
      } catch (err) {
        if (signal.aborted) return;
        if (!isConflict(err)) this.opts.logger.warn({ err, kind: "Pod", key: item.key }, "simulated pod sync failed; retrying");
        this.queue.addRateLimited(item.key);
      } finally {
        this.queue.done(item.key);
      }
    }
  }

  /** Brings one pod to what a kubelet would report; NotFound means it is gone already. */
  private async sync(key: string, signal: AbortSignal): Promise<void> {
    const [namespace, name] = splitKey(key);
    const pod = this.informer.lister.get(namespace, name);
    if (!pod) return;
    const pool = this.pools.get(pod.spec?.nodeName ?? "");
    if (!pool) return;
    const uid = pod.metadata?.uid ?? "";
    try {
      if (pod.metadata?.deletionTimestamp) {
        await this.opts.client.delete(podKind, namespace, name, { gracePeriodSeconds: 0, preconditions: { uid }, signal });
        return;
      }
      if (reportsRunning(pod) || pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed") return;
      const ip = pool.allocate(uid);
      if (!ip) {
        this.opts.logger.warn({ kind: "Pod", namespace, name, node: pod.spec?.nodeName }, "no free pod IP on the simulated node");
        return;
      }
      await this.opts.client.updateStatus(podKind, runningPod(pod, ip, this.opts.hostIp, new Date()), { signal });
      const seen = this.firstSeen.get(key);
      if (seen !== undefined) {
        const seconds = (performance.now() - seen) / 1000;
        this.opts.metrics.podStartSeconds.observe(seconds);
        this.opts.metrics.podStartSliSeconds.observe(seconds);
      }
      this.firstSeen.delete(key);
    } catch (err) {
      // Deleted meanwhile, or (with a uid precondition) replaced by a new pod of the same name.
      if (isNotFound(err) || (isConflict(err) && pod.metadata?.deletionTimestamp)) return;
      throw err;
    }
  }
}

function keyOf(pod: Pod): string {
  return `${pod.metadata?.namespace ?? ""}/${pod.metadata?.name ?? ""}`;
}

function splitKey(key: string): [string, string] {
  const slash = key.indexOf("/");
  return [key.slice(0, slash), key.slice(slash + 1)];
}
