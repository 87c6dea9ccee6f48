// Lease renewals of many simulated nodes, spread evenly over the renew interval instead of in bursts.
import type { coordinationV1 } from "@kubeplane/api";
import type { ApiClient } from "@kubeplane/client";
import type { Logger } from "@kubeplane/service-kit";
import { NODE_LEASE_NAMESPACE, renewNodeLease } from "../node/node-lease.js";
import { pause } from "../node/wakeup.js";

type Lease = coordinationV1.Lease;

/** A renewal's deadline is its renew interval, but never below this: short test intervals on a loaded machine would fail every call. */
const MIN_RENEW_TIMEOUT_MS = 5_000;

/** Granularity of the schedule: renewals due within one tick are sent together. */
const TICK_MS = 100;

export interface LeaseHeartbeatsOptions {
  client: ApiClient;
  logger: Logger;
  durationSeconds: number;
  renewIntervalMs: number;
  /** Renewals in flight at most. */
  concurrency: number;
  /**
   * Called after a node's renewal succeeds again following failed ones (it was cut off from the
   * apiserver, so the node-lifecycle controller may have marked it Unknown); a rejection is logged.
   */
  onRecovered?: (node: { name: string; uid: string }, signal: AbortSignal) => Promise<void>;
}

/**
 * Renews the Leases of a set of nodes: every node once per `renewIntervalMs`, node i at offset
 * i/n of the interval, so n nodes cost a steady n/interval writes per second. A renewal is one
 * update of the last written Lease (a read or a create only after a conflict or a loss). A failed
 * renewal is logged and retried at the node's next turn. A renewal in the rotation is bounded by
 * the renew interval (at least 5 s; as the kubelet's heartbeat client by its status update frequency), so a hung
 * connection fails it instead of holding the rotation for the client's whole deadline. One `run` per instance.
 */
export class LeaseHeartbeats {
  private readonly nodes: Array<{ name: string; uid: string }> = [];
  private readonly leases = new Map<string, Lease>();
  /** Nodes whose last renewal failed. */
  private readonly failing = new Set<string>();
  /** Renewals that failed (retried at the node's next turn). */
  failures = 0;
  renewals = 0;

  constructor(private readonly opts: LeaseHeartbeatsOptions) {}

  /** Adds a node to the rotation. */
  add(name: string, uid: string): void {
    this.nodes.push({ name, uid });
  }

  /** Creates or renews the Lease of one node now. */
  async renew(node: { name: string; uid: string }, signal?: AbortSignal): Promise<void> {
    const lease = await renewNodeLease(this.opts.client, node.name, {
      durationSeconds: this.opts.durationSeconds,
      now: new Date(),
      ownerUid: node.uid,
      last: this.leases.get(node.name),
      signal,
    });
    this.leases.set(node.name, lease);
    this.renewals++;
  }

  async run(signal: AbortSignal): Promise<void> {
    const { renewIntervalMs, concurrency } = this.opts;
    const ticks = Math.max(1, Math.floor(renewIntervalMs / TICK_MS));
    while (!signal.aborted) {
      const roundStart = performance.now();
      for (let t = 0; t < ticks && !signal.aborted; t++) {
        const n = this.nodes.length;
        const due = this.nodes.slice(Math.floor((t * n) / ticks), Math.floor(((t + 1) * n) / ticks));
        await this.renewAll(due, concurrency, signal);
        await pause(roundStart + ((t + 1) * renewIntervalMs) / ticks - performance.now(), signal);
      }
    }
  }

  private async renewAll(due: Array<{ name: string; uid: string }>, concurrency: number, signal: AbortSignal): Promise<void> {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < due.length && !signal.aborted) {
        const node = due[next++]!;
        try {
          await this.renew(node, AbortSignal.any([signal, AbortSignal.timeout(Math.max(this.opts.renewIntervalMs, MIN_RENEW_TIMEOUT_MS))]));
          if (this.failing.delete(node.name)) {
            await this.opts.onRecovered?.(node, signal).catch((err: unknown) => {
              this.failing.add(node.name); // try again at its next turn
              this.opts.logger.warn({ err, kind: "Node", name: node.name }, "could not report a simulated node Ready again");
            });
          }
        } catch (err) {
          if (signal.aborted) return;
          this.failures++;
          this.failing.add(node.name);
          this.leases.delete(node.name);
          this.opts.logger.warn({ err, kind: "Lease", namespace: NODE_LEASE_NAMESPACE, name: node.name }, "failed to renew a simulated node's lease");
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, due.length) }, () => worker()));
  }
}
