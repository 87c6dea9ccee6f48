// Unit tests of the informer cache: keys, indexes kept current on replace and remove, selectors.
import assert from "node:assert/strict";
import { test } from "node:test";
import { coreV1Pod } from "@kubeplane/api";
import { Indexer, byNodeName, objectKey, splitKey } from "./indexer.js";

const pod = (ns: string, name: string, node: string, labels: Record<string, string>, owner?: string): coreV1Pod.Pod =>
  coreV1Pod.Pod.fromPartial({
    metadata: { namespace: ns, name, labels, ownerReferences: owner ? [{ uid: owner, kind: "ReplicaSet", name: "rs", apiVersion: "apps/v1" }] : [] },
    spec: { nodeName: node },
  });

test("object keys are namespace/name, or name for cluster-scoped objects, and split back", () => {
  assert.equal(objectKey(pod("ns", "a", "", {})), "ns/a");
  assert.deepEqual(splitKey("ns/a"), { namespace: "ns", name: "a" });
  assert.deepEqual(splitKey("node-1"), { namespace: "", name: "node-1" });
});

test("indexes by namespace, label, owner and node follow upserts and removals", () => {
  const cache = new Indexer<coreV1Pod.Pod>({ node: byNodeName });
  cache.upsert(pod("a", "p1", "n1", { app: "web" }, "rs-1"));
  cache.upsert(pod("a", "p2", "", { app: "db" }, "rs-1"));
  cache.upsert(pod("b", "p3", "n1", { app: "web" }));
  assert.deepEqual(cache.listByNamespace("a").map(objectKey).sort(), ["a/p1", "a/p2"]);
  assert.deepEqual(cache.byIndex("node", "n1").map(objectKey).sort(), ["a/p1", "b/p3"]);
  assert.deepEqual(cache.byIndex("owner", "rs-1").map(objectKey).sort(), ["a/p1", "a/p2"]);
  assert.deepEqual(cache.listBySelector("app=web").map(objectKey).sort(), ["a/p1", "b/p3"]);
  assert.deepEqual(cache.listBySelector("app in (web,db)", "a").map(objectKey).sort(), ["a/p1", "a/p2"]);

  // p2 gets bound and relabelled: its old index entries go.
  cache.upsert(pod("a", "p2", "n2", { app: "web" }, "rs-1"));
  assert.deepEqual(cache.byIndex("node", "").map(objectKey), []);
  assert.deepEqual(cache.byIndex("node", "n2").map(objectKey), ["a/p2"]);
  assert.deepEqual(cache.byIndex("label", "app=db"), []);

  assert.equal(cache.remove("a/p1")?.metadata?.name, "p1");
  assert.deepEqual(cache.byIndex("owner", "rs-1").map(objectKey), ["a/p2"]);
  assert.equal(cache.size, 2);
  assert.throws(() => cache.byIndex("nope", "x"), /no index named "nope"/);
});
