// Unit tests of the Lua counts' reader: cumulative values become increments, once each, whatever order reads arrive in and across an nginx restart.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Registry } from "prom-client";
import { LuaMetricsReader, renderLuaMetricsModule } from "./lua-request-metrics.js";
import { ingressMetrics, REQUEST_DURATION_BUCKETS } from "./metrics.js";

/** The dict's dump for a route with `requests` in bucket 2, their duration sum, and failed endpoints. */
const dump = (epoch: string, requests: number, seconds: number, failures: number): string =>
  [`epoch\t${epoch}`, `ns web a\t200\t2\t${requests}`, `ns web a\t200\ts\t${seconds}`, `ns web a\t200\tf\t${failures}`, `- - -\t0\t1\t1`, ""].join("\n");

test("the reader adds what grew since its last read, ignores an older read arriving late, and starts over on a new epoch", async () => {
  const registry = new Registry();
  const metrics = ingressMetrics(registry);
  const reader = new LuaMetricsReader();
  const requests = async (status = "200"): Promise<number> => (await metrics.requests.get()).values.find((v) => v.labels.service === (status === "200" ? "a" : "") && v.labels.status === status)?.value ?? 0;
  const failures = async (): Promise<number> => (await metrics.connectFailures.get()).values.find((v) => v.labels.service === "a")?.value ?? 0;
  reader.apply(dump("1", 10, 0.01, 2), metrics);
  assert.equal(await requests(), 10);
  assert.equal(await requests("000"), 1, "status 0 (no response) is reported as 000, empty labels for no route");
  reader.apply(dump("1", 15, 0.02, 2), metrics);
  assert.equal(await requests(), 15);
  reader.apply(dump("1", 12, 0.015, 2), metrics);
  assert.equal(await requests(), 15, "an older read that arrives late adds nothing");
  assert.equal(await failures(), 2);
  const count = (await metrics.requestDuration.get()).values.find((v) => v.metricName === "ingress_controller_request_duration_seconds_count" && v.labels.service === "a")?.value;
  assert.equal(count, 15);
  const le = (await metrics.requestDuration.get()).values.find((v) => v.metricName === "ingress_controller_request_duration_seconds_bucket" && v.labels.service === "a" && String((v.labels as Record<string, unknown>).le) === String(REQUEST_DURATION_BUCKETS[1]))?.value;
  assert.equal(le, 15, "the second bucket holds them");
  // nginx restarted: its dict is new, and so is every value in it.
  reader.apply(dump("2", 3, 0.003, 1), metrics);
  assert.equal(await requests(), 18);
  assert.equal(await failures(), 3);
  reader.apply("", metrics);
  assert.equal(await requests(), 18, "no answer (nginx restarting) changes nothing");
  reader.apply(dump("2", 3, 0.003, 1), metrics);
  assert.equal(await requests(), 18, "nor does the next read of the same epoch count again");
});

test("the Lua module lists the histogram's bounds in order", () => {
  const text = renderLuaMetricsModule([0.1, 1, 10]);
  assert.match(text, /local bounds = \{ 0\.1, 1, 10 \}/);
  assert.match(text, /lua_shared_dict|ngx\.shared\.kp_metrics/);
});
