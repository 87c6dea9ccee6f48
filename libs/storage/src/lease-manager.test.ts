// Unit tests of LeaseManager: one lease per reuse window, every object living at least its TTL.
import assert from "node:assert/strict";
import { test } from "node:test";
import { LeaseManager } from "./lease-manager.js";

function fakeStore() {
  const grants: { id: string; ttlSeconds: number }[] = [];
  return {
    grants,
    grantLease(ttlSeconds: number): Promise<string> {
      const id = String(grants.length + 1);
      grants.push({ id, ttlSeconds });
      return Promise.resolve(id);
    },
  };
}

test("writes within one minute share a lease granted for TTL + the minute; the next minute gets a new one", async () => {
  let now = 1_000_000;
  const store = fakeStore();
  const leases = new LeaseManager(store, { now: () => now });
  const first = await leases.leaseFor(3600);
  now += 30_000;
  assert.equal(await leases.leaseFor(3600), first);
  now += 29_000;
  assert.equal(await leases.leaseFor(3600), first);
  now += 2_000; // 61 s after the grant: the lease would expire before an object written now reached its TTL
  const second = await leases.leaseFor(3600);
  assert.notEqual(second, first);
  assert.deepEqual(store.grants.map((g) => g.ttlSeconds), [3660, 3660]);
});

test("a short TTL reuses a lease for 5 % of it, so no object outlives its TTL by more than that", async () => {
  let now = 0;
  const store = fakeStore();
  const leases = new LeaseManager(store, { now: () => now });
  const first = await leases.leaseFor(100);
  now += 4_000;
  assert.equal(await leases.leaseFor(100), first);
  now += 2_000;
  assert.notEqual(await leases.leaseFor(100), first);
  assert.deepEqual(store.grants.map((g) => g.ttlSeconds), [105, 105]);
});

test("concurrent writes needing a lease wait for one grant; a full lease is replaced", async () => {
  const store = fakeStore();
  const leases = new LeaseManager(store, { maxObjectsPerLease: 3 });
  const ids = await Promise.all([leases.leaseFor(3600), leases.leaseFor(3600)]);
  assert.deepEqual(ids, ["1", "1"]);
  assert.equal(await leases.leaseFor(3600), "1");
  assert.equal(await leases.leaseFor(3600), "2");
  assert.equal(store.grants.length, 2);
});

test("by default a lease holds at most 128 objects: its expiry deletes them in one revision, which has 128 resourceVersions", async () => {
  const store = fakeStore();
  const leases = new LeaseManager(store, { now: () => 0 });
  const ids: string[] = [];
  for (let i = 0; i < 129; i++) ids.push(await leases.leaseFor(3600));
  assert.equal(ids.filter((id) => id === "1").length, 128);
  assert.equal(ids[128], "2");
});
