// The generic store's access to etcd: objects decoded and encrypted per kind, the size limit, the recently seen
// values that seed read-modify-writes, and the leases of expiring objects. Knows no kind.
import { apiErrors, revisionOfResourceVersion, type ApiObject, type ErrorSubject, type KindInfo } from "@kubeplane/api";
import { LeaseManager, type EtcdStore, type StoredValue } from "@kubeplane/storage";
import { decodeFromStorage, encodeForStorage } from "../object-codec.js";
import { EncryptionError, identityTransformer, type ValueTransformer } from "../encryption.js";
import { RecentObjects } from "../recent-objects.js";
import type { Strategy } from "../strategies/index.js";

/** How many times a write without a resourceVersion precondition retries a lost race. */
export const conflictRetries = 20;

/** RFC 3339 with second precision, as Kubernetes writes metav1.Time. */
export function timestamp(date: Date): string {
  const iso = date.toISOString();
  // "YYYY-MM-DDTHH:MM:SS.sssZ" for every year 0–9999; drop the milliseconds.
  return iso.length === 24 ? `${iso.slice(0, 19)}Z` : iso.replace(/\.\d{3}Z$/, "Z");
}

/** Who an error is about. */
export function subject(info: KindInfo, name: string): ErrorSubject {
  return { group: info.group, resource: info.resource, kind: info.kind, name };
}

/** Objects in etcd. Safe for concurrent use; every method that writes is a compare-and-swap in its caller. */
export class StoredObjects {
  /** Seeds read-modify-writes so that most cost one etcd txn instead of a read and a txn. */
  readonly recent = new RecentObjects();
  /** Leases of expiring objects (Events), shared per reuse window. */
  private readonly leases: LeaseManager;

  constructor(
    readonly store: EtcdStore,
    private readonly maxObjectBytes: number,
    private readonly transformer: ValueTransformer = identityTransformer,
  ) {
    this.leases = new LeaseManager(store);
  }

  /** Decrypted and decoded; a value that does not decrypt (another key's value copied here, an unknown key) is an InternalError naming the key. */
  read<T extends ApiObject>(info: KindInfo<T>, v: StoredValue): T {
    return decodeFromStorage(info, this.decrypt(info, v).plain, v.resourceVersion);
  }

  /** Remembers the bytes this replica just wrote at `key` (resourceVersion `rv`) for the next read-modify-write. */
  wrote(key: string, value: Uint8Array, rv: number, createRevision = revisionOfResourceVersion(rv)): void {
    this.recent.remember({ key, value, modRevision: revisionOfResourceVersion(rv), createRevision, resourceVersion: rv });
  }

  private decrypt(info: KindInfo, v: StoredValue): { plain: Uint8Array; stale: boolean } {
    try {
      return this.transformer.fromStorage(info, v.key, v.value);
    } catch (err) {
      if (err instanceof EncryptionError) throw apiErrors.internalError(err);
      throw err;
    }
  }

  /** The object's stored bytes before encryption; refuses objects over the size limit. */
  encode<T extends ApiObject>(info: KindInfo<T>, obj: T): Uint8Array {
    const bytes = encodeForStorage(info, obj);
    if (bytes.length > this.maxObjectBytes) {
      throw apiErrors.invalid(subject(info, obj.metadata?.name ?? ""), [
        { type: "FieldValueTooLong", field: "", detail: `the object is ${bytes.length} bytes; the limit is ${this.maxObjectBytes} bytes` },
      ]);
    }
    return bytes;
  }

  /** Encrypted for etcd at `key` (Secrets), as the encryption configuration says. */
  toStorage(info: KindInfo, key: string, plain: Uint8Array): Uint8Array {
    return this.transformer.toStorage(info, key, plain);
  }

  /**
   * Whether writing `plain` would change nothing, so the write is skipped: the same bytes
   * (compared after decryption: every seal has a new nonce) and not stale, i.e. not sealed with an
   * older key, without the etcd key bound, or unencrypted where encryption is on. A stale value
   * is rewritten by any update, even one that changes nothing: that is how keys rotate.
   */
  unchanged(info: KindInfo, plain: Uint8Array, stored: StoredValue): boolean {
    const current = this.decrypt(info, stored);
    return !current.stale && Buffer.from(plain).equals(Buffer.from(current.plain));
  }

  /** A linearizable read of `key`, remembered for later read-modify-writes. */
  async readStored(key: string): Promise<StoredValue | undefined> {
    const found = await this.store.get(key);
    if (found) this.recent.remember(found);
    else this.recent.forget(key);
    return found;
  }

  /** The lease an object of this kind is written with (its TTL renewed by every write), if it expires. */
  async leaseFor(strategy: Strategy): Promise<string | undefined> {
    const ttl = strategy.ttlSeconds();
    return ttl === undefined ? undefined : this.leases.leaseFor(ttl);
  }
}
