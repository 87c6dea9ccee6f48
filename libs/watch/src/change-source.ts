// The etcd change feed the publisher consumes; libs/storage's EtcdStore implements it.

/** One etcd change under /registry/, as seen by a watch with previous values. */
export interface Change {
  type: "put" | "delete";
  key: string;
  /** The new value (puts only): the object's protobuf bytes. */
  value?: Uint8Array;
  /** The value before the change; always set for deletes, set for puts of existing keys. */
  prevValue?: Uint8Array;
  /** The etcd revision of the change (several keys may share one revision in a transaction). */
  revision: number;
  /**
   * The change's resourceVersion: revision × 128 + its position among the revision's changes
   * (ARCHITECTURE §3–4). Strictly increasing along the feed.
   */
  resourceVersion: number;
  /** True for the last change of its revision (etcd delivers a revision whole). */
  revisionEnd: boolean;
  /** True for a put that created the key. */
  created: boolean;
}

/**
 * A source of etcd changes. `watchChanges` yields every change with etcd revision ≥ `fromRevision` in
 * revision order (and, within a revision, in transaction order), and ends when `signal` aborts. It
 * throws an error named `CompactedError` (or with code "Compacted") when `fromRevision` was
 * compacted away. `currentRevision` is etcd's current revision.
 */
export interface ChangeSource {
  watchChanges(fromRevision: number, signal: AbortSignal): AsyncIterable<Change>;
  currentRevision(): Promise<number>;
}

/** Whether `error` is the source's "resume point was compacted" error. */
export function isCompactedError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return error.name === "CompactedError" || code === "Compacted" || code === "COMPACTED";
}
