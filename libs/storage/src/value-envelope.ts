// How an object's ordinal within its txn is kept with its bytes in etcd (ARCHITECTURE §3): ordinal 0 stores the bytes bare.

/**
 * First byte of an enveloped value. No stored payload starts with it: a protobuf message cannot
 * (field number 0 is invalid) and encrypted values start with their "k8s:enc:" prefix.
 */
const ENVELOPE_MARK = 0x00;
const HEADER_BYTES = 2;

/** The bytes to store for `payload` written at `ordinal` (0…127): bare for 0, else [0x00, ordinal, …payload]. */
export function encodeStoredValue(payload: Uint8Array, ordinal: number): Uint8Array {
  if (!Number.isInteger(ordinal) || ordinal < 0 || ordinal > 127) throw new RangeError(`encodeStoredValue: ordinal ${ordinal} outside 0…127`);
  if (ordinal === 0) return payload;
  const out = new Uint8Array(payload.byteLength + HEADER_BYTES);
  out[0] = ENVELOPE_MARK;
  out[1] = ordinal;
  out.set(payload, HEADER_BYTES);
  return out;
}

/** The payload and ordinal of stored bytes (a view, no copy). */
export function decodeStoredValue(stored: Uint8Array): { payload: Uint8Array; ordinal: number } {
  if (stored.byteLength >= HEADER_BYTES && stored[0] === ENVELOPE_MARK) return { payload: stored.subarray(HEADER_BYTES), ordinal: stored[1]! };
  return { payload: stored, ordinal: 0 };
}
