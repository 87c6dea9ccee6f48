// RecentObjects: newer revisions win, large values are not kept, the least recently used key goes first.
import assert from "node:assert/strict";
import { test } from "node:test";
import { RecentObjects } from "./recent-objects.js";

const at = (key: string, resourceVersion: number, bytes = 1) => ({ key, value: new Uint8Array(bytes), modRevision: Math.floor(resourceVersion / 128), createRevision: 1, resourceVersion });

test("an older resourceVersion never replaces a newer one, within one revision too; forget drops the key", () => {
  const recent = new RecentObjects();
  recent.remember(at("/a", 5));
  recent.remember(at("/a", 3));
  assert.equal(recent.get("/a")?.resourceVersion, 5);
  recent.remember(at("/a", 7));
  assert.equal(recent.get("/a")?.resourceVersion, 7);
  recent.remember(at("/a", 128 * 9 + 4));
  recent.remember(at("/a", 128 * 9 + 2));
  assert.equal(recent.get("/a")?.resourceVersion, 128 * 9 + 4);
  recent.forget("/a");
  assert.equal(recent.get("/a"), undefined);
});

test("a value over the size bound is not kept and drops what was kept for its key", () => {
  const recent = new RecentObjects(10, 100);
  recent.remember(at("/a", 1));
  recent.remember(at("/a", 2, 101));
  assert.equal(recent.get("/a"), undefined);
});

test("past maxEntries the least recently used key is evicted", () => {
  const recent = new RecentObjects(2);
  recent.remember(at("/a", 1));
  recent.remember(at("/b", 2));
  recent.get("/a");
  recent.remember(at("/c", 3));
  assert.equal(recent.size, 2);
  assert.equal(recent.get("/b"), undefined);
  assert.equal(recent.get("/a")?.resourceVersion, 1);
  assert.equal(recent.get("/c")?.resourceVersion, 3);
});
