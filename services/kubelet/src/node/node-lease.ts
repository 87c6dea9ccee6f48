// The node's heartbeat: a coordination/v1 Lease in kube-node-lease, named after the node and renewed periodically.
import { coordinationV1, isConflict, isNotFound, kindFor, type KindInfo, type metaV1 } from "@kubeplane/api";
import type { ApiClient } from "@kubeplane/client";
import type { Logger } from "@kubeplane/service-kit";
import { formatMicroTime } from "./node-conditions.js";
import { pause } from "./wakeup.js";

type Lease = coordinationV1.Lease;

/** Where node heartbeat Leases live (what the node lifecycle controller reads). */
export const NODE_LEASE_NAMESPACE = "kube-node-lease";
/** Kubernetes' --node-lease-duration-seconds default. */
export const DEFAULT_LEASE_DURATION_SECONDS = 40;

export const leaseKind = kindFor("coordination.k8s.io/v1", "Lease") as KindInfo<Lease>;

/** The Lease of `nodeName` at `renewTime`, owned by its Node when the Node's uid is known. */
export function nodeLease(nodeName: string, durationSeconds: number, renewTime: Date, owner?: { uid: string }, base?: Lease): Lease {
  const ownerReferences: metaV1.OwnerReference[] = owner ? [{ apiVersion: "v1", kind: "Node", name: nodeName, uid: owner.uid }] : (base?.metadata?.ownerReferences ?? []);
  return coordinationV1.Lease.fromPartial({
    ...base,
    apiVersion: "coordination.k8s.io/v1",
    kind: "Lease",
    metadata: { ...base?.metadata, name: nodeName, namespace: NODE_LEASE_NAMESPACE, ownerReferences },
    spec: { ...base?.spec, holderIdentity: nodeName, leaseDurationSeconds: durationSeconds, renewTime: formatMicroTime(renewTime) },
  });
}

/**
 * Renews one Lease: updates the last written copy (one write), and on a conflict or a missing
 * Lease reads it again or creates it. Returns the Lease as stored. Throws the API's errors.
 */
export async function renewNodeLease(client: ApiClient, nodeName: string, opts: { durationSeconds: number; now: Date; ownerUid?: string; last?: Lease; signal?: AbortSignal }): Promise<Lease> {
  const owner = opts.ownerUid ? { uid: opts.ownerUid } : undefined;
  if (opts.last) {
    try {
      return (await client.update(leaseKind, nodeLease(nodeName, opts.durationSeconds, opts.now, owner, opts.last), { signal: opts.signal })) as Lease;
    } catch (err) {
      if (!isConflict(err) && !isNotFound(err)) throw err;
    }
  }
  let current: Lease | undefined;
  try {
    current = (await client.get(leaseKind, NODE_LEASE_NAMESPACE, nodeName, { signal: opts.signal })) as Lease;
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  const lease = nodeLease(nodeName, opts.durationSeconds, opts.now, owner, current);
  return (await (current ? client.update(leaseKind, lease, { signal: opts.signal }) : client.create(leaseKind, lease, { signal: opts.signal }))) as Lease;
}

export interface NodeLeaseOptions {
  client: ApiClient;
  logger: Logger;
  nodeName: string;
  /** The Node's uid, for the Lease's ownerReference (so deleting the Node deletes its Lease). */
  ownerUid(): string | undefined;
  /** leaseDurationSeconds; default 40. */
  durationSeconds?: number;
  /** Default 10 s (a quarter of the duration, as the kubelet does). */
  renewIntervalMs?: number;
  now?: () => Date;
}

/**
 * Keeps a node's Lease renewed until the signal aborts. A failed renewal is retried with
 * exponential back-off (200 ms doubling to 7 s, as the kubelet's lease controller does) and never
 * ends the loop. One `run` per instance; `lease` is the last Lease written.
 */
export class NodeLeaseRenewer {
  lease: Lease | undefined;
  /** Successful renewals (creation included). */
  renewals = 0;

  constructor(private readonly opts: NodeLeaseOptions) {}

  async run(signal: AbortSignal): Promise<void> {
    const { client, nodeName, logger } = this.opts;
    const interval = this.opts.renewIntervalMs ?? 10_000;
    let backoff = 200;
    while (!signal.aborted) {
      try {
        this.lease = await renewNodeLease(client, nodeName, {
          durationSeconds: this.opts.durationSeconds ?? DEFAULT_LEASE_DURATION_SECONDS,
          now: (this.opts.now ?? (() => new Date()))(),
          ownerUid: this.opts.ownerUid(),
          last: this.lease,
          signal,
        });
        this.renewals++;
        backoff = 200;
        await pause(interval, signal);
      } catch (err) {
        if (signal.aborted) break;
        this.lease = undefined;
        logger.warn({ err, kind: "Lease", namespace: NODE_LEASE_NAMESPACE, name: nodeName, retryInMs: backoff }, "failed to renew the node lease");
        await pause(backoff, signal);
        backoff = Math.min(backoff * 2, 7000);
      }
    }
  }
}
