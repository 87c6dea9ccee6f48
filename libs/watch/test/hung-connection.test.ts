// A NATS connection whose traffic is silently dropped (nftables in the test's network namespace) ends by its pings, not after minutes, and comes back once healed.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { connect, type NatsConnection } from "nats";
import { enterTestNetns, natsOptions, startNats, startPartitioner, testPki, waitFor, type NatsServer, type Partitioner } from "@kubeplane/testing";
import { NATS_MAX_PINGS_OUT, NATS_PING_INTERVAL_MS } from "../src/index.js";

await enterTestNetns(import.meta.url);

let nats: NatsServer;
let partitioner: Partitioner;
let nc: NatsConnection;
before(async () => {
  await testPki();
  nats = await startNats();
  partitioner = await startPartitioner();
  nc = await connect(natsOptions(nats.url));
});
after(async () => {
  await nc?.close().catch(() => undefined);
  await partitioner?.close();
  await nats?.stop();
});

test("a silently dropped NATS connection is given up within its ping budget and re-established after healing", async (t) => {
  const events: { type: string; at: number }[] = [];
  void (async () => {
    for await (const s of nc.status()) events.push({ type: s.type, at: Date.now() });
  })();
  const sub = nc.subscribe("hung.test");
  const cut = await partitioner.cut([nats.port]);
  const cutAt = Date.now();
  const budget = NATS_PING_INTERVAL_MS * (NATS_MAX_PINGS_OUT + 1);
  await waitFor(() => events.find((e) => e.type === "disconnect" && e.at >= cutAt), { timeoutMs: budget + 15_000, message: "the client gives the silent connection up" });
  const gaveUpMs = events.find((e) => e.type === "disconnect")!.at - cutAt;
  t.diagnostic(`disconnect ${gaveUpMs} ms after the cut (ping every ${NATS_PING_INTERVAL_MS} ms, ${NATS_MAX_PINGS_OUT} unanswered allowed)`);
  assert.ok(gaveUpMs <= budget + 5_000, `the client held a silent connection ${gaveUpMs} ms`);
  await cut.heal();
  await waitFor(() => events.some((e) => e.type === "reconnect"), { timeoutMs: 30_000, message: "the client reconnects after healing" });
  // The subscription survived the reconnect: a message published now arrives.
  const got = (async () => {
    for await (const m of sub) return m.string();
    return undefined;
  })();
  nc.publish("hung.test", "after");
  assert.equal(await got, "after");
});
