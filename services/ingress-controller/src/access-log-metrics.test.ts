// Unit test of the access log sink: the FIFO holds far more than the kernel's 64 KiB while the controller cannot read, and every line is counted.
import assert from "node:assert/strict";
import { closeSync, constants, openSync, writeSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { createLogger } from "@kubeplane/service-kit";
import { Registry } from "prom-client";
import { ACCESS_LOG_PIPE_BYTES, startAccessLogMetrics } from "./access-log-metrics.js";
import { ingressMetrics } from "./metrics.js";

test("the access log FIFO takes 1 MiB of lines while its reader is held up, and counts them all afterwards", async () => {
  const dir = await mkdtemp(join(tmpdir(), "kp-access-log-"));
  const registry = new Registry();
  const metrics = ingressMetrics(registry);
  const sink = await startAccessLogMetrics(join(dir, "access.fifo"), metrics, registry, createLogger("access-log-test", "silent"));
  try {
    // A non-blocking writer in this thread: while it writes, the reader (same event loop) cannot drain the pipe.
    const fd = openSync(sink.path, constants.O_WRONLY | constants.O_NONBLOCK);
    const line = Buffer.from("ns web svc 200 0.004 0.001|200\n");
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
