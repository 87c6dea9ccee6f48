// Unit tests of the access log sink: every line counted once, whatever its chunking and however many distinct lines; the FIFO holds far more than the kernel's 64 KiB while the controller cannot read.
import assert from "node:assert/strict";
import { closeSync, constants, openSync, writeSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { createLogger } from "@kubeplane/service-kit";
import { Registry } from "prom-client";
import { ACCESS_LOG_PIPE_BYTES, AccessLogCounter, startAccessLogMetrics } from "./access-log-metrics.js";
import { ingressMetrics } from "./metrics.js";

test("the access log FIFO takes 1 MiB of lines while its reader is held up, and counts them all afterwards", async () => {
  const dir = await mkdtemp(join(tmpdir(), "kp-access-log-"));
  const registry = new Registry();
  const metrics = ingressMetrics(registry);
  const sink = await startAccessLogMetrics(join(dir, "access.fifo"), metrics, registry, createLogger("access-log-test", "silent"));
  try {
    // A non-blocking writer in this thread: while it writes, the reader (same event loop) cannot drain the pipe.
    const fd = openSync(sink.path, constants.O_WRONLY | constants.O_NONBLOCK);
    const line = Buffer.from("ns web svc 200 0.004\n");
    const lines = Math.floor((ACCESS_LOG_PIPE_BYTES - 4096) / line.length);
    let written = 0;
    try {
      for (; written < lines; written++) writeSync(fd, line);
    } catch (err) {
      assert.fail(`the FIFO was full after ${written * line.length} bytes: ${(err as Error).message}`);
    } finally {
      closeSync(fd);
    }
    assert.ok(written * line.length > 8 * 65_536, `${written * line.length} bytes written without a read`);
    const deadline = Date.now() + 30_000;
    let counted = 0;
    while (Date.now() < deadline) {
      sink.flush();
      counted = (await metrics.requests.get()).values.find((v) => v.labels.ingress === "web" && v.labels.status === "200")?.value ?? 0;
      if (counted === lines) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal(counted, lines);
    const duration = (await metrics.requestDuration.get()).values.find((v) => v.metricName === "ingress_controller_request_duration_seconds_count");
    assert.equal(duration?.value, lines);
  } finally {
    await sink.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test("the counter counts lines split across chunks, failed endpoints and durations per prefix, past its memory of distinct lines", async () => {
  const registry = new Registry();
  const metrics = ingressMetrics(registry);
  const counter = new AccessLogCounter();
  const lines: string[] = [];
  // 6,000 distinct durations (more lines than the counter remembers), each on two prefixes; svc b's requests each
  // with a failures line, one endpoint refused on every third.
  for (let i = 0; i < 6000; i++) {
    const seconds = (i / 1000).toFixed(3);
    lines.push(`ns web a 200 ${seconds}`, `ns web b 502 ${seconds}`, i % 3 === 0 ? "ns web b F -, 0.001" : "ns web b F 0.001");
    lines.push(`ns web a 200 0.000`);
  }
  lines.push("garbage");
  const text = lines.map((l) => `${l}\n`).join("");
  // Chunks of odd sizes, so that lines are cut anywhere.
  let counted = 0;
  for (let at = 0, size = 1; at < text.length; at += size, size = (size * 7 + 3) % 4093 || 1) counted += counter.add(text.slice(at, at + size));
  assert.equal(counted, lines.length, "every complete line is seen once");
  counter.flushInto(metrics);
  const requests = (await metrics.requests.get()).values;
  const value = (service: string, status: string): number | undefined => requests.find((v) => v.labels.service === service && v.labels.status === status)?.value;
  assert.equal(value("a", "200"), 12_000);
  assert.equal(value("b", "502"), 6000);
  assert.equal(value("b", ""), undefined, "a failures line is no request");
  const failures = (await metrics.connectFailures.get()).values;
  assert.deepEqual(failures.map((v) => [v.labels.service, v.value]), [["b", 2000]]);
  const duration = (await metrics.requestDuration.get()).values.filter((v) => v.labels.service === "a");
  const sum = duration.find((v) => v.metricName === "ingress_controller_request_duration_seconds_sum")?.value ?? 0;
  // Σ i/1000 for i < 6000, plus 6,000 zeros.
  assert.ok(Math.abs(sum - (5999 * 6000) / 2 / 1000) < 1e-6, `sum ${sum}`);
  const le = (bound: string): number | undefined => duration.find((v) => v.metricName === "ingress_controller_request_duration_seconds_bucket" && String((v.labels as Record<string, unknown>).le) === bound)?.value;
  assert.equal(le("0.001"), 6002, "0.000 (6,000 + 1) and 0.001");
  assert.equal(le("+Inf"), 12_000);
  counter.flushInto(metrics);
  assert.equal((await metrics.requests.get()).values.find((v) => v.labels.service === "a")?.value, 12_000, "a second flush adds nothing");
});
