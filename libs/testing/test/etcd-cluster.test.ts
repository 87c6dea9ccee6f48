// Integration test of startEtcd: a real 3-member cluster survives losing its leader and heals on restart.
import { etcdCredentials } from "../src/index.js";
import assert from "node:assert/strict";
import { test } from "node:test";
import { Etcd3 } from "etcd3";
import { startEtcd, waitFor } from "../src/index.js";

// Per-call deadline, so a call stuck on a dead member fails and waitFor tries again.
const callDeadline = (): { deadline: number } => ({ deadline: Date.now() + 2_000 });

test("put/get keeps working after one member of a 3-member cluster is killed", async (t) => {
  const cluster = await startEtcd({ members: 3, name: "failover" });
  t.after(() => cluster.stop());
  const clientFor = (hosts: string[]): Etcd3 => {
    const client = new Etcd3({ credentials: etcdCredentials(), hosts, defaultCallOptions: callDeadline });
    t.after(() => client.close());
    return client;
  };

  const all = clientFor(cluster.endpoints);
  await all.put("/kubeplane/before").value("1");
  assert.equal(await all.get("/kubeplane/before").string(), "1");

  const leader = await cluster.leader();
  await leader.kill("SIGKILL");
  assert.equal(leader.running, false);

  const survivors = clientFor(cluster.members.filter((m) => m.running).map((m) => m.clientUrl));
  await waitFor(
    async () => {
      await survivors.put("/kubeplane/after").value("2");
      return true;
    },
    { timeoutMs: 10_000, message: "a put to succeed on the surviving members" },
  );
  assert.equal(await survivors.get("/kubeplane/before").string(), "1");
  assert.equal(await survivors.get("/kubeplane/after").string(), "2");
  const newLeader = await cluster.leader();
  assert.notEqual(newLeader.name, leader.name);

  // The restarted member missed the second write; serving it proves it rejoined and caught up.
  await leader.restart();
  const rejoined = clientFor([leader.clientUrl]);
  assert.equal(await rejoined.get("/kubeplane/after").string(), "2");
  assert.equal(await rejoined.get("/kubeplane/before").string(), "1");
});
