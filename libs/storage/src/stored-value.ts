// The store's data shapes: a key's bytes with its revisions and resourceVersion, and one change from the watch feed.

/** One key as read from etcd. `value` is the object's bytes (the stored-value envelope removed). */
export interface StoredValue {
  key: string;
  value: Uint8Array;
  /** The etcd revision of the key's last write. */
  modRevision: number;
  createRevision: number;
  /** The object's resourceVersion: mod_revision × 128 + the ordinal stored with the value (ARCHITECTURE §3). */
  resourceVersion: number;
}

/** One put or delete of a key, as delivered by `EtcdStore.watchChanges`. */
export interface Change {
  type: "put" | "delete";
  key: string;
  /** The new bytes (envelope removed); absent on delete. */
  value?: Uint8Array;
  /** The bytes before this change (envelope removed); absent when the key was created (or etcd no longer had them). */
  prevValue?: Uint8Array;
  /** The etcd revision of the change (a txn's changes share one revision). */
  revision: number;
  /**
   * revision × 128 + the change's position among the revision's changes under the watched prefix
   * (etcd delivers a txn's changes in op order). Under `/registry/`, for a put this equals the
   * ordinal stored with the value when writers put object ops first, in ordinal order.
   */
  resourceVersion: number;
  /** True when no later change of the same revision follows under the watched prefix. */
  revisionEnd: boolean;
  /** True for the put that created the key (create_revision == mod_revision). */
  created: boolean;
}

/** A key to create together with the main write (a reservation such as a Service IP). */
export interface KeyValue {
  key: string;
  value: Uint8Array;
}
