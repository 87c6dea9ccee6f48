// Unit test of the admission object cache over an in-memory change feed: list, then puts and deletes by namespace.
import assert from "node:assert/strict";
import { test } from "node:test";
import { kindFor, resourcePrefix, type ApiObject, type coreV1ResourceQuota, type KindInfo } from "@kubeplane/api";
import { createLogger } from "@kubeplane/service-kit";
import { ObjectCache, type WatchSource } from "./object-cache.js";

const lrKind = kindFor("v1", "LimitRange") as KindInfo<coreV1ResourceQuota.LimitRange>;
const lr = (namespace: string, name: string) => lrKind.codec.fromPartial({ apiVersion: "v1", kind: "LimitRange", metadata: { name, namespace } });

/** A feed the test pushes changes into; the cache consumes it as it would etcd's. */
function feed(initial: ApiObject[]): { source: WatchSource; push(change: { type: "put" | "delete"; obj: ApiObject }): void } {
  const pending: { type: "put" | "delete"; key: string; value?: Uint8Array; revision: number; resourceVersion: number; revisionEnd: boolean; created: boolean }[] = [];
  let wake: (() => void) | undefined;
  const source: WatchSource = {
    list: () => Promise.resolve({ items: initial, revision: 1 }),
    store: {
      async *watchChanges(_from: number, signal: AbortSignal) {
        while (!signal.aborted) {
          const next = pending.shift();
          if (next) yield next;
          else await new Promise<void>((r) => (wake = r));
        }
      },
    },
  };
  return {
    source,
    push({ type, obj }) {
      const key = `${resourcePrefix(lrKind)}${obj.metadata!.namespace}/${obj.metadata!.name}`;
      pending.push({ type, key, value: type === "put" ? lrKind.codec.encode(obj as coreV1ResourceQuota.LimitRange).finish() : undefined, revision: 2, resourceVersion: 256, revisionEnd: true, created: type === "put" });
      wake?.();
    },
  };
}

test("the cache answers after its list, follows puts and deletes per namespace, and says when it cannot answer", async () => {
  const { source, push } = feed([lr("a", "one")]);
  const cache = new ObjectCache(lrKind, source, createLogger("test", "silent"));
  assert.equal(cache.list("a"), undefined, "not watching yet");
  const stop = new AbortController();
  const running = cache.run(stop.signal);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(cache.list("a")?.map((o) => o.metadata?.name), ["one"]);
  assert.deepEqual(cache.list("b"), []);
  assert.equal(cache.get("b", "x"), null);
  push({ type: "put", obj: lr("b", "two") });
  push({ type: "delete", obj: lr("a", "one") });
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(cache.list("b")?.map((o) => o.metadata?.name), ["two"]);
  assert.deepEqual(cache.list("a"), []);
  stop.abort();
  push({ type: "put", obj: lr("c", "three") });
  await running;
});
