// The nats-exporter as a process against a real nats-server with JetStream: its /metrics follows the server, and fails when NATS is gone.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { connect, type NatsConnection } from "nats";
import { natsOptions, serviceEntry, startNats, startServiceProcess, waitFor, type NatsServer, type ServiceProcess } from "@kubeplane/testing";

let nats: NatsServer;
let exporter: ServiceProcess;
let nc: NatsConnection | undefined;

before(async () => {
  nats = await startNats();
  // No certificate of its own in the test PKI yet: it serves plain HTTP here.
  exporter = await startServiceProcess({ entry: serviceEntry("nats-exporter"), flags: { "nats-monitor-url": nats.monitorUrl, "insecure-serving": "true" } });
});
after(async () => {
  await nc?.close();
  await exporter?.kill();
  await nats?.stop();
});

test("metrics follow the server: connections, messages in, a stream's messages and its consumers' backlog", async () => {
  nc = await connect(natsOptions(nats.url));
  const jsm = await nc.jetstreamManager();
  await jsm.streams.add({ name: "OBS_TEST", subjects: ["obs.>"] });
  const js = nc.jetstream();
  for (let i = 0; i < 4; i++) await js.publish(`obs.${i}`, new TextEncoder().encode("x"));
  await jsm.consumers.add("OBS_TEST", { durable_name: "lagging" });
  const text = await waitFor(
    async () => {
      const t = await exporter.metrics();
      return /^gnatsd_jetstream_stream_consumer_max_pending_messages\{stream="OBS_TEST"\} 4$/m.test(t) ? t : undefined;
    },
    { timeoutMs: 10_000, message: "the lagging consumer's 4 pending messages in /metrics" },
  );
  assert.match(text, /^gnatsd_varz_connections [1-9]\d*$/m);
  assert.match(text, /^gnatsd_varz_in_msgs ([4-9]|\d\d+)$/m);
  assert.match(text, /^gnatsd_jetstream_stream_messages\{stream="OBS_TEST"\} 4$/m);
});

test("with NATS stopped, a scrape fails and /readyz reports not ready", async () => {
  await nats.kill();
  const res = await fetch(`${exporter.httpUrl}/metrics`);
  assert.equal(res.status, 500);
  const ready = await fetch(`${exporter.httpUrl}/readyz`);
  assert.equal(ready.status, 503);
});
