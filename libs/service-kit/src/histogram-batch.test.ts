// Unit test of addObservations: many observations added at once export exactly as the same observe calls.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Histogram, Registry } from "prom-client";
import { addObservations, bucketIndex } from "./histogram-batch.js";

const bounds = [0.001, 0.01, 0.1, 1];

function histogram(registry: Registry): Histogram<"service"> {
  return new Histogram({ name: "d_seconds", help: "d", labelNames: ["service"], buckets: bounds, registers: [registry] });
}

test("observations added per bucket export as the same observe calls do", async () => {
  const [one, batch] = [new Registry(), new Registry()];
  const [observed, added] = [histogram(one), histogram(batch)];
  const values = { web: [0, 0.001, 0.0015, 0.05, 0.05, 2.5], api: [0.2] };
  for (const [service, vs] of Object.entries(values)) for (const v of vs) observed.observe({ service }, v);
  // Two batches for web (the series exists after the first), one for api.
  for (const [service, vs] of [["web", values.web.slice(0, 3)], ["web", values.web.slice(3)], ["api", values.api]] as const) {
    const perBucket = new Array<number>(bounds.length + 1).fill(0);
    for (const v of vs) perBucket[bucketIndex(bounds, v)]!++;
    addObservations(added, { service }, bounds, perBucket, vs.reduce((a, v) => a + v, 0), vs.length);
  }
  assert.equal(await batch.metrics(), await one.metrics());
  assert.match(await batch.metrics(), /d_seconds_bucket\{le="0.01",service="web"\} 3/);
});

test("bucketIndex: a bound is inclusive, above every bound is the +Inf bucket", () => {
  assert.equal(bucketIndex(bounds, 0), 0);
  assert.equal(bucketIndex(bounds, 0.001), 0);
  assert.equal(bucketIndex(bounds, 0.0011), 1);
  assert.equal(bucketIndex(bounds, 5), 4);
});
