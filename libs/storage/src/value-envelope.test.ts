import { strict as assert } from "node:assert";
import { test } from "node:test";
import { decodeStoredValue, encodeStoredValue } from "./value-envelope.js";

test("ordinal 0 stores the payload bare; other ordinals round-trip behind a two-byte header", () => {
  const payload = Uint8Array.from([0x0a, 0x03, 0x66, 0x6f, 0x6f]);
  assert.equal(encodeStoredValue(payload, 0), payload);
  assert.deepEqual(decodeStoredValue(payload), { payload, ordinal: 0 });
  for (const ordinal of [1, 64, 127]) {
    const stored = encodeStoredValue(payload, ordinal);
    assert.equal(stored.byteLength, payload.byteLength + 2);
    const decoded = decodeStoredValue(stored);
    assert.equal(decoded.ordinal, ordinal);
    assert.deepEqual([...decoded.payload], [...payload]);
  }
  const encrypted = new TextEncoder().encode("k8s:enc:aesgcm:v1:key1:xyz");
  assert.equal(decodeStoredValue(encrypted).ordinal, 0);
  assert.throws(() => encodeStoredValue(payload, 128), RangeError);
  assert.throws(() => encodeStoredValue(payload, -1), RangeError);
});
