// The store's data shapes: a key's bytes with its revisions, and one change from the watch feed.

/** One key as read from etcd. `modRevision` is the object's resourceVersion. */
export interface StoredValue {
  key: string;
  value: Uint8Array;
  modRevision: number;
  createRevision: number;
}

/** One put or delete of a key, as delivered by `EtcdStore.watchChanges`. */
export interface Change {
  type: "put" | "delete";
  key: string;
  /** The new bytes; absent on delete. */
  value?: Uint8Array;
  /** The bytes before this change; absent when the key was created (or etcd no longer had them). */
  prevValue?: Uint8Array;
  /** The etcd revision of the change (a txn's changes share one revision). */
  revision: number;
  /** True for the put that created the key (create_revision == mod_revision). */
  created: boolean;
}
