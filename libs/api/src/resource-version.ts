// resourceVersion = mod_revision × 128 + ordinal (ARCHITECTURE §3–4): one etcd txn writes up to 128 objects, each with its own totally ordered version.

/** Objects one etcd txn may write (etcd's default `--max-txn-ops`); ordinals run 0…127. */
export const RV_ORDINALS = 128;

/** The resourceVersion of the object written at `ordinal` (0…127) of the txn committed at etcd `revision`. */
export function resourceVersionOf(revision: number, ordinal = 0): number {
  if (!Number.isSafeInteger(revision) || revision < 0) throw new RangeError(`resourceVersionOf: bad revision ${revision}`);
  if (!Number.isInteger(ordinal) || ordinal < 0 || ordinal >= RV_ORDINALS) throw new RangeError(`resourceVersionOf: ordinal ${ordinal} outside 0…${RV_ORDINALS - 1}`);
  return revision * RV_ORDINALS + ordinal;
}

/** The etcd revision that committed the object with resourceVersion `rv` (what update/delete compare mod_revision with). */
export function revisionOfResourceVersion(rv: number): number {
  return Math.floor(rv / RV_ORDINALS);
}

/** The object's position in its txn. */
export function ordinalOfResourceVersion(rv: number): number {
  return rv % RV_ORDINALS;
}

/**
 * The version of a read (List, bookmark, gap) at etcd `revision`: everything committed at that revision
 * is included, so a watch from it starts at the next revision.
 */
export function revisionEndVersion(revision: number): number {
  return resourceVersionOf(revision, RV_ORDINALS - 1);
}
