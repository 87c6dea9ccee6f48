// How etcd3's errors map to the store's: transient ones (an open circuit included) are StoreUnavailableError, not a request error.
import assert from "node:assert/strict";
import { test } from "node:test";
import { BrokenCircuitError } from "cockatiel";
import { GRPCUnavailableError } from "etcd3";
import { StoreRequestError, StoreUnavailableError } from "./errors.js";
import { isUnavailable, translateError } from "./translate-error.js";

test("every member's circuit open is Unavailable (a 503 to retry), not a failed request (500)", () => {
  const open = new BrokenCircuitError();
  assert.equal(open.name, "Error", "cockatiel does not name its error: the check must not rely on the name");
  assert.equal(isUnavailable(open), true);
  assert.ok(translateError("list", open) instanceof StoreUnavailableError);
});

test("an unavailable member and a leader election are Unavailable; anything else is a request error", () => {
  assert.ok(translateError("get", new GRPCUnavailableError("connection refused")) instanceof StoreUnavailableError);
  assert.ok(translateError("put", new Error("etcdserver: leader changed")) instanceof StoreUnavailableError);
  assert.ok(translateError("put", new Error("etcdserver: request is too large")) instanceof StoreRequestError);
});
