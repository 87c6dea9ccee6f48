// RecentObjects: newer revisions win, large values are not kept, the least recently used key goes first.
import assert from "node:assert/strict";
import { test } from "node:test";
import { RecentObjects } from "./recent-objects.js";

const at = (key: string, modRevision: number, bytes = 1) => ({ key, value: new Uint8Array(bytes), modRevision, createRevision: 1 });

test("an older revision never replaces a newer one; forget drops the key", () => {
  const recent = new RecentObjects();
  recent.remember(at("/a", 5));
  recent.remember(at("/a", 3));
  assert.equal(recent.get("/a")?.modRevision, 5);
  recent.remember(at("/a", 7));
  assert.equal(recent.get("/a")?.modRevision, 7);
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
  assert.equal(recent.get("/a")?.modRevision, 1);
  assert.equal(recent.get("/c")?.modRevision, 3);
});
