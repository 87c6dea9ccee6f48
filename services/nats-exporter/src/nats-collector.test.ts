// The NATS collector: monitoring JSON becomes gnatsd_ metrics, consumers are summed per stream, a failed read fails the scrape.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Registry } from "prom-client";
import { registerNatsMetrics, type Jsz, type Varz } from "./nats-collector.js";

const varz: Varz = { connections: 7, total_connections: 40, subscriptions: 12, slow_consumers: 1, in_msgs: 500, out_msgs: 900, in_bytes: 5000, out_bytes: 9000, mem: 1e7, cpu: 3.5, routes: 0 };
const jsz: Jsz = {
  streams: 1,
  consumers: 2,
  messages: 5,
  bytes: 180,
  account_details: [
    {
      stream_detail: [
        {
          name: "KUBEPLANE_WATCH",
          state: { messages: 5, bytes: 180, consumer_count: 2 },
          consumer_detail: [
            { name: "a", num_pending: 5, num_ack_pending: 1, num_redelivered: 0 },
            { name: "b", num_pending: 3, num_ack_pending: 0, num_redelivered: 0 },
          ],
        },
      ],
    },
  ],
};

test("varz and jsz become gnatsd_ metrics; consumers are summed and maxed per stream", async () => {
  const registry = new Registry();
  let reads = 0;
  registerNatsMetrics(registry, () => {
    reads++;
    return Promise.resolve({ varz, jsz });
  });
  const text = await registry.metrics();
  assert.match(text, /^gnatsd_varz_connections 7$/m);
  assert.match(text, /^# TYPE gnatsd_varz_in_msgs counter$/m);
  assert.match(text, /^gnatsd_varz_in_msgs 500$/m);
  assert.match(text, /^gnatsd_jetstream_messages 5$/m);
  assert.match(text, /^gnatsd_jetstream_stream_messages\{stream="KUBEPLANE_WATCH"\} 5$/m);
  assert.match(text, /^gnatsd_jetstream_stream_consumer_pending_messages\{stream="KUBEPLANE_WATCH"\} 8$/m);
  assert.match(text, /^gnatsd_jetstream_stream_consumer_max_pending_messages\{stream="KUBEPLANE_WATCH"\} 5$/m);
  assert.equal(reads, 1, "one scrape reads the monitor once");
  await registry.metrics();
  assert.equal(reads, 2, "the next scrape reads afresh");
});

test("a monitor that does not answer fails the scrape (so the job's up is 0)", async () => {
  const registry = new Registry();
  registerNatsMetrics(registry, () => Promise.reject(new Error("connection refused")));
  await assert.rejects(registry.metrics(), /connection refused/);
});
