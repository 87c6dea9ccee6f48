// Integration tests of LeaderElection against a real etcd: one leader at a time, takeover after a crash or resign.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { after, before, test } from "node:test";
import { etcdStoreTls, startEtcd, waitFor, type EtcdCluster } from "@kubeplane/testing";
import { EtcdStore, LeaderElection } from "../src/index.js";

let etcd: EtcdCluster;
before(async () => {
  etcd = await startEtcd({ name: "storage-election" });
});
after(async () => {
  await etcd?.stop();
});

/** One in-process campaigner: its own client, an election loop, and a record of its terms. */
function campaigner(name: string, identity: string, ttlSeconds: number, shared: { leaders: Set<string>; maxLeaders: number }) {
  const store = EtcdStore.connect({ tls: etcdStoreTls(), endpoints: etcd.endpoints });
  const abort = new AbortController();
  const state = { leading: false, termsEnded: 0 };
  const done = new LeaderElection(store, { name, identity, ttlSeconds }).run(abort.signal, async (term) => {
    state.leading = true;
    shared.leaders.add(identity);
    shared.maxLeaders = Math.max(shared.maxLeaders, shared.leaders.size);
    await new Promise<void>((resolve) => term.addEventListener("abort", () => resolve(), { once: true }));
    shared.leaders.delete(identity);
    state.leading = false;
    state.termsEnded++;
  });
  return {
    state,
    stop: async () => {
      abort.abort();
      await done;
      store.close();
    },
  };
}

/** A campaigner in a child process, so the test can SIGKILL it: its lease is neither revoked nor kept alive. */
function childCampaigner(name: string, identity: string, ttlSeconds: number) {
  const fixture = fileURLToPath(new URL("./fixtures/campaign.ts", import.meta.url));
  const child = spawn(process.execPath, ["--conditions=source", "--import", "tsx", fixture, etcd.endpoints.join(","), name, identity, String(ttlSeconds)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const state = { leading: false, exited: false };
  child.stdout.on("data", (chunk: Buffer) => (state.leading ||= chunk.toString().includes("leading")));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    state,
    kill: async () => {
      child.kill("SIGKILL");
      await exited;
    },
  };
}

test("of two campaigners only one leads; SIGKILLing the leader process lets the standby lead within the ttl", async () => {
  const ttlSeconds = 2;
  const leader = childCampaigner("crash", "child", ttlSeconds);
  try {
    await waitFor(() => leader.state.leading, { timeoutMs: 15_000, message: "the child process to lead" });
    const standby = campaigner("crash", "standby", ttlSeconds, { leaders: new Set(), maxLeaders: 0 });
    try {
      assert.equal(standby.state.leading, false, "the standby does not lead while the child holds the lease");
      const killedAt = Date.now();
      await leader.kill();
      await waitFor(() => standby.state.leading, { timeoutMs: ttlSeconds * 1000 + 3_000, message: "the standby to take over" });
      const takeoverMs = Date.now() - killedAt;
      assert.ok(takeoverMs < ttlSeconds * 1000 + 1_500, `took over after ${takeoverMs} ms`);
    } finally {
      await standby.stop();
    }
  } finally {
    await leader.kill();
  }
});

test("two in-process campaigners never lead at the same time", async () => {
  const shared = { leaders: new Set<string>(), maxLeaders: 0 };
  const a = campaigner("pair", "a", 2, shared);
  const b = campaigner("pair", "b", 2, shared);
  try {
    const first = await waitFor(() => [a, b].find((c) => c.state.leading), { message: "a leader" });
    const second = first === a ? b : a;
    assert.equal(second.state.leading, false);
    await first.stop();
    await waitFor(() => second.state.leading, { timeoutMs: 3_000, message: "the other to lead" });
    assert.equal(shared.maxLeaders, 1);
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }
});

test("a leader that resigns on abort hands over at once, well before its ttl", async () => {
  const ttlSeconds = 15;
  const shared = { leaders: new Set<string>(), maxLeaders: 0 };
  const a = campaigner("resign", "a", ttlSeconds, shared);
  const b = campaigner("resign", "b", ttlSeconds, shared);
  try {
    const first = await waitFor(() => [a, b].find((c) => c.state.leading), { message: "a leader" });
    const second = first === a ? b : a;
    await first.stop();
    assert.equal(first.state.termsEnded, 1);
    await waitFor(() => second.state.leading, { timeoutMs: 3_000, message: "the standby to take over after resign" });
    assert.equal(shared.maxLeaders, 1);
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }
});
