// Integration tests of startNats: durable JetStream consumers resume, and file storage survives a restart.
import { natsOptions } from "../src/index.js";
import assert from "node:assert/strict";
import { test } from "node:test";
import { AckPolicy, connect, DeliverPolicy, StorageType, StringCodec, type NatsConnection } from "nats";
import { startNats } from "../src/index.js";

const sc = StringCodec();

async function connectTo(url: string, t: { after: (fn: () => Promise<void>) => void }): Promise<NatsConnection> {
  const nc = await connect({ ...natsOptions(url), servers: url, reconnect: false });
  t.after(async () => {
    if (!nc.isClosed()) await nc.close();
  });
  return nc;
}

test("a durable pull consumer resumes after its last acked message when the client reconnects", async (t) => {
  const nats = await startNats();
  t.after(() => nats.stop());

  const first = await connectTo(nats.url, t);
  const jsm = await first.jetstreamManager();
  await jsm.streams.add({ name: "EVENTS", subjects: ["events.>"], storage: StorageType.File });
  await jsm.consumers.add("EVENTS", {
    durable_name: "worker",
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
  });
  const js = first.jetstream();
  await js.publish("events.one", sc.encode("message 1"));
  const m1 = await (await js.consumers.get("EVENTS", "worker")).next({ expires: 5_000 });
  assert.ok(m1, "message 1 should be delivered");
  assert.equal(sc.decode(m1.data), "message 1");
  assert.ok(await m1.ackAck(), "the server should confirm the ack");
  await first.close();

  const publisher = await connectTo(nats.url, t);
  await publisher.jetstream().publish("events.two", sc.encode("message 2"));
  await publisher.close();

  const again = await connectTo(nats.url, t);
  const m2 = await (await again.jetstream().consumers.get("EVENTS", "worker")).next({ expires: 5_000 });
  assert.ok(m2, "message 2 should be delivered");
  assert.equal(sc.decode(m2.data), "message 2");
  assert.equal(m2.seq, 2);
  assert.equal(m2.redelivered, false);
  assert.ok(await m2.ackAck());

  const info = await (await again.jetstreamManager()).consumers.info("EVENTS", "worker");
  assert.equal(info.ack_floor.stream_seq, 2);
  assert.equal(info.num_pending, 0, "nothing left to deliver: message 1 does not come back");
  assert.equal(info.num_ack_pending, 0);
});

test("a message published before a nats-server restart is consumable after it", async (t) => {
  const nats = await startNats();
  t.after(() => nats.stop());

  const before = await connectTo(nats.url, t);
  const jsm = await before.jetstreamManager();
  await jsm.streams.add({ name: "ORDERS", subjects: ["orders.>"], storage: StorageType.File });
  const ack = await before.jetstream().publish("orders.created", sc.encode("before restart"));
  assert.equal(ack.seq, 1);
  await before.close();

  await nats.kill();
  assert.equal(nats.running, false);
  await nats.restart();

  const after = await connectTo(nats.url, t);
  const afterJsm = await after.jetstreamManager();
  assert.equal((await afterJsm.streams.info("ORDERS")).state.messages, 1);
  await afterJsm.consumers.add("ORDERS", { durable_name: "reader", ack_policy: AckPolicy.Explicit });
  const msg = await (await after.jetstream().consumers.get("ORDERS", "reader")).next({ expires: 5_000 });
  assert.ok(msg, "the persisted message should be delivered");
  assert.equal(sc.decode(msg.data), "before restart");
  assert.equal(msg.seq, 1);
  assert.ok(await msg.ackAck());
});
