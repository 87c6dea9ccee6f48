// etcd maintenance for backup and restore: the snapshot stream, what it is of, and moving the revision on after a restore.
import { PassThrough, type Readable } from "node:stream";
import type { EtcdStore } from "./etcd-store.js";
import { translateError } from "./translate-error.js";

/** What a snapshot is of, read from the member that will stream it. */
export interface SnapshotInfo {
  /** etcd's revision when asked (the snapshot, taken right after, holds at least this). */
  revision: number;
  /** The member's etcd version. */
  etcdVersion: string;
  /** etcd's cluster id, hexadecimal. */
  clusterId: string;
  memberCount: number;
  /** Every key in etcd (count only). */
  keyCount: number;
}

const ALL_KEYS = Buffer.from([0]);

/** The metadata of a snapshot about to be taken: one status, one member list and one count-only range. */
export async function snapshotInfo(store: EtcdStore): Promise<SnapshotInfo> {
  const client = store.etcdClient;
  try {
    const [status, members, count] = await Promise.all([
      client.maintenance.status(),
      client.cluster.memberList({}),
      client.kv.range({ key: ALL_KEYS, range_end: ALL_KEYS, count_only: true }),
    ]);
    return {
      revision: Number(count.header.revision),
      etcdVersion: status.version,
      clusterId: BigInt(status.header.cluster_id).toString(16),
      memberCount: members.members.length,
      keyCount: Number(count.count),
    };
  } catch (error) {
    throw translateError("snapshotInfo", error, 0);
  }
}

/** The parts of grpc-js's ClientReadableStream the snapshot relay uses. */
interface SnapshotCall {
  on(event: "data", listener: (res: { blob: Buffer }) => void): unknown;
  on(event: "end", listener: () => void): unknown;
  on(event: "error", listener: (error: Error) => void): unknown;
  pause(): unknown;
  resume(): unknown;
  cancel(): void;
}

/**
 * etcd's snapshot of its whole backend (Maintenance.Snapshot: the bbolt database followed by its
 * sha256, exactly what `etcdctl snapshot save` writes), as a stream of byte chunks with
 * backpressure. Destroying the stream cancels the etcd call; an etcd failure errors the stream.
 */
export async function snapshotStream(store: EtcdStore): Promise<Readable> {
  let call: SnapshotCall;
  try {
    // etcd3 types the stream narrowly; at run time it is grpc-js's ClientReadableStream.
    call = (await store.etcdClient.maintenance.snapshot()) as unknown as SnapshotCall;
  } catch (error) {
    throw translateError("snapshot", error, 0);
  }
  const out = new PassThrough();
  call.on("data", (res) => {
    if (res.blob.length && !out.write(res.blob)) {
      call.pause();
      out.once("drain", () => call.resume());
    }
  });
  call.on("end", () => out.end());
  call.on("error", (error) => out.destroy(translateError("snapshot", error, 0)));
  out.on("close", () => call.cancel());
  return out;
}

/**
 * Moves etcd's revision on to at least `target` by writing a scratch key (one revision a write,
 * `concurrency` writes in flight), then deletes it, and returns the revision reached. This is what
 * `etcdutl snapshot restore --bump-revision` does offline, for etcd versions whose tools lack it
 * (Debian 12's etcd 3.4): after a restore every new resourceVersion must exceed every one a client
 * saw before it. Costs one etcd write per revision.
 */
export async function advanceRevision(store: EtcdStore, target: number, opts: { key?: string; concurrency?: number } = {}): Promise<number> {
  const client = store.etcdClient;
  const key = Buffer.from(opts.key ?? "/kubeplane/restore/advance-revision");
  const concurrency = opts.concurrency ?? 64;
  try {
    let revision = await store.currentRevision();
    while (revision < target) {
      const batch = Math.min(concurrency, target - revision);
      const results = await Promise.all(Array.from({ length: batch }, () => client.kv.put({ key, value: ALL_KEYS })));
      revision = Math.max(revision, ...results.map((r) => Number(r.header.revision)));
    }
    const deleted = await client.kv.deleteRange({ key });
    return Math.max(revision, Number(deleted.header.revision));
  } catch (error) {
    throw translateError("advanceRevision", error, 0);
  }
}
