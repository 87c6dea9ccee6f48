// LeaderElection across a compaction: watches on the quiet election key that reconnect past compacted history.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { revisionOfResourceVersion } from "@kubeplane/api";
import { etcdCredentials, startEtcd, waitFor, type EtcdCluster } from "@kubeplane/testing";
import { EtcdStore, LeaderElection } from "../src/index.js";

let etcd: EtcdCluster;
before(async () => {
  etcd = await startEtcd({ name: "storage-election-compaction" });
});
after(async () => {
  await etcd?.stop();
});

function connectStore(): EtcdStore {
  const c = etcdCredentials();
  return EtcdStore.connect({ tls: { ca: c.rootCertificate, cert: c.certChain, key: c.privateKey }, endpoints: etcd.endpoints });
}

function campaigner(identity: string) {
  const store = connectStore();
  const abort = new AbortController();
  const state = { leading: false, terms: 0, failed: undefined as unknown };
  const done = new LeaderElection(store, { name: "compaction-test", identity, ttlSeconds: 5 })
    .run(abort.signal, async (term) => {
      state.leading = true;
      state.terms++;
      await new Promise<void>((resolve) => term.addEventListener("abort", () => resolve(), { once: true }));
      state.leading = false;
    })
    .catch((error: unknown) => (state.failed = error));
  return {
    state,
    stop: async () => {
      abort.abort();
      await done;
      store.close();
    },
  };
}

test("a leader and a standby whose watches reconnect after a compaction keep their roles; the standby still takes over", async () => {
  const a = campaigner("a");
  await waitFor(() => a.state.leading, { message: "a leads" });
  const b = campaigner("b");
  const store = connectStore();
  try {
    await new Promise((r) => setTimeout(r, 300)); // b is watching the key
    // History moves on and is compacted past both watches' resume points (the key itself is quiet).
    let resourceVersion = 0;
    for (let i = 0; i < 5; i++) resourceVersion = await store.create(`/registry/compaction-test/k${i}`, new Uint8Array([i]));
    await store.compact(revisionOfResourceVersion(resourceVersion));
    // Restarting the member breaks both watches: they reconnect into compacted history.
    await etcd.members[0]!.restart();
    await new Promise((r) => setTimeout(r, 1_500));
    assert.equal(b.state.failed, undefined, "the standby's campaign survived");
    assert.equal(a.state.terms, 1, "the leader's term did not end");
    assert.ok(a.state.leading);
    await a.stop();
    await waitFor(() => b.state.leading, { timeoutMs: 5_000, message: "b leads after a resigned" });
  } finally {
    await a.stop();
    await b.stop();
    store.close();
  }
});
