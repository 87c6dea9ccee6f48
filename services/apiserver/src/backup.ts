// The Backup RPC: etcd's snapshot streamed to an administrator, with its metadata first and its sha256 last.
import { createHash } from "node:crypto";
import type { ServerWritableStream } from "@grpc/grpc-js";
import type { apiserverV1 } from "@kubeplane/api";
import type { Logger } from "@kubeplane/service-kit";
import { snapshotInfo, snapshotStream, type EtcdStore } from "@kubeplane/storage";
import { toServiceError } from "./status-mapping.js";

type BackupServer = Pick<apiserverV1.ApiServerServiceServer, "backup">;

export interface BackupDeps {
  store: EtcdStore;
  logger: Logger;
  /** The apiserver's version, recorded in the metadata. */
  kubeplaneVersion: string;
}

/** Bytes of snapshot a message carries at most (etcd sends 32 KiB blobs; fewer, larger messages cost less). */
const CHUNK_BYTES = 256 * 1024;
const EMPTY = Buffer.alloc(0);

/**
 * Backup: authorization has already allowed `get` on `/backup/etcd-snapshot`. Sends the metadata
 * (read from etcd just before the snapshot starts, so `revision` is a lower bound of the
 * snapshot's), then the snapshot's bytes with backpressure (a slow client slows etcd's stream,
 * nothing is buffered whole), then the sha256 and size of those bytes. The snapshot is etcd's
 * own format (bbolt database plus etcd's trailing sha256), restorable by `etcdctl snapshot
 * restore`. A cancelled call cancels etcd's; an etcd failure ends the call with its Status.
 */
export function backupHandlers(deps: BackupDeps): BackupServer {
  return {
    backup(call: ServerWritableStream<apiserverV1.BackupRequest, apiserverV1.BackupChunk>): void {
      const started = performance.now();
      let cancelled = false;
      let source: Awaited<ReturnType<typeof snapshotStream>> | undefined;
      call.on("cancelled", () => {
        cancelled = true;
        source?.destroy();
      });
      // Resolves once the client can take more; also when the call ends (cancelled), so nothing waits forever.
      const send = (chunk: Partial<apiserverV1.BackupChunk>): Promise<void> =>
        new Promise((resolve) => {
          // ts-proto's encoder expects every field present.
          if (call.write({ data: EMPTY, sha256: "", size: 0, ...chunk })) return resolve();
          const done = (): void => {
            for (const event of ["drain", "cancelled", "close"]) call.removeListener(event, done);
            resolve();
          };
          for (const event of ["drain", "cancelled", "close"]) call.once(event, done);
        });
      const run = async (): Promise<void> => {
        const info = await snapshotInfo(deps.store);
        await send({
          metadata: {
            revision: info.revision,
            etcdVersion: info.etcdVersion,
            created: new Date().toISOString(),
            memberCount: info.memberCount,
            kubeplaneVersion: deps.kubeplaneVersion,
            keyCount: info.keyCount,
            clusterId: info.clusterId,
          },
        });
        if (cancelled) return;
        source = await snapshotStream(deps.store);
        const hash = createHash("sha256");
        let size = 0;
        let pending: Buffer[] = [];
        let pendingBytes = 0;
        const flush = async (): Promise<void> => {
          if (!pendingBytes) return;
          const data = Buffer.concat(pending, pendingBytes);
          pending = [];
          pendingBytes = 0;
          await send({ data });
        };
        for await (const piece of source as AsyncIterable<Buffer>) {
          if (cancelled) return;
          hash.update(piece);
          size += piece.length;
          pending.push(piece);
          pendingBytes += piece.length;
          if (pendingBytes >= CHUNK_BYTES) await flush();
        }
        await flush();
        if (cancelled) return;
        const sha256 = hash.digest("hex");
        await send({ sha256, size });
        call.end();
        deps.logger.info({ revision: info.revision, bytes: size, sha256, seconds: (performance.now() - started) / 1000 }, "backup: etcd snapshot streamed");
      };
      run().catch((err: unknown) => {
        source?.destroy();
        if (cancelled) return;
        deps.logger.warn({ err }, "backup failed");
        call.emit("error", toServiceError(err, deps.logger));
      });
    },
  };
}
