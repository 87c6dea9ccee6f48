// Rotation as kube-apiserver's lumberjack: by size, lumberjack's names, pruning by count and age; the buffered backend flushes on shutdown.
import assert from "node:assert/strict";
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { Registry } from "prom-client";
import { createLogger } from "@kubeplane/service-kit";
import type { AuditEvent } from "./event.js";
import { LogBackend } from "./log-backend.js";
import { createAuditMetrics } from "./metrics.js";
import { backupName, listBackups, RotatingFile } from "./rotating-file.js";

const MB = 1024 * 1024;
const dirs: string[] = [];
after(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "kp-audit-"));
  dirs.push(d);
  return d;
}

/** A clock the test moves. */
function clock(start: string): { now: () => Date; advance(ms: number): void } {
  let t = new Date(start).getTime();
  return { now: () => new Date(t), advance: (ms) => void (t += ms) };
}

test("backup names are lumberjack's: name-UTC time with milliseconds, colons as dashes, extension kept", () => {
  assert.equal(backupName("/var/log/audit.log", new Date("2026-12-06T16:30:05.123Z")), "/var/log/audit-2026-12-06T16-30-05.123.log");
  assert.equal(backupName("/var/log/audit", new Date("2026-12-06T16:30:05.000Z")), "/var/log/audit-2026-12-06T16-30-05.000");
});

test("rotates before a write would pass maxsize, never splitting a line; appends to an existing file", async () => {
  const dir = await tempDir();
  const path = join(dir, "audit.log");
  const c = clock("2026-12-06T10:00:00.000Z");
  const line = Buffer.alloc(300 * 1024, "a");
  line[line.length - 1] = 0x0a;
  const f = new RotatingFile({ path, maxSizeMb: 1, maxBackups: 0, maxAgeDays: 0, now: c.now });
  await f.write([line, line, line]); // 900 KiB: fits
  c.advance(1000);
  await f.write([line]); // 1200 KiB would not: rotated first
  await f.close();
  assert.equal((await stat(path)).size, line.length);
  const backups = await listBackups(path);
  assert.deepEqual(backups.map((b) => b.file), [join(dir, "audit-2026-12-06T10-00-01.000.log")]);
  assert.equal((await stat(backups[0]!.file)).size, 3 * line.length);

  // A new writer appends to what is there (one line more fits), then rotates when full.
  const g = new RotatingFile({ path, maxSizeMb: 1, maxBackups: 0, maxAgeDays: 0, now: c.now });
  await g.write([line]);
  assert.equal((await stat(path)).size, 2 * line.length);
  c.advance(1000);
  await g.write([line, line, line]);
  await g.close();
  assert.equal((await listBackups(path)).length, 2);
  assert.equal((await stat(path)).size, 2 * line.length, "the batch was split at the line that did not fit");
  assert.equal(((await stat(path)).mode & 0o777).toString(8), "600");
});

test("maxbackup keeps the newest files; maxage removes files older than that many days by their name", async () => {
  const dir = await tempDir();
  const path = join(dir, "audit.log");
  const c = clock("2026-12-06T10:00:00.000Z");
  // Rotated files from earlier runs: 10 and 3 days old, and one not ours.
  await writeFile(backupName(path, new Date("2026-11-26T10:00:00.000Z")), "old\n");
  await writeFile(backupName(path, new Date("2026-12-03T10:00:00.000Z")), "recent\n");
  await writeFile(join(dir, "audit-notes.log"), "not a backup\n");
  const f = new RotatingFile({ path, maxSizeMb: 1, maxBackups: 3, maxAgeDays: 7, now: c.now });
  const big = Buffer.alloc(MB - 10, "b");
  for (let i = 0; i < 4; i++) {
    await f.write([big]);
    c.advance(60_000);
  }
  await f.close();
  const names = (await readdir(dir)).sort();
  assert.deepEqual(names, [
    "audit-2026-12-06T10-01-00.000.log",
    "audit-2026-12-06T10-02-00.000.log",
    "audit-2026-12-06T10-03-00.000.log",
    "audit-notes.log",
    "audit.log",
  ]);
});

function event(i: number): AuditEvent {
  const ts = "2026-12-06T10:00:00.000000Z";
  return { kind: "Event", apiVersion: "audit.k8s.io/v1", level: "Metadata", auditID: String(i), stage: "ResponseComplete", requestURI: "/x", verb: "get", user: {}, requestReceivedTimestamp: ts, stageTimestamp: ts };
}

test("the backend returns at once, writes every accepted event on shutdown, in order, and drops (counting) past its buffer", async () => {
  const dir = await tempDir();
  const path = join(dir, "logs", "audit.log");
  const registry = new Registry();
  const metrics = createAuditMetrics(registry);
  const backend = new LogBackend({ path, maxSizeMb: 0, maxBackups: 0, maxAgeDays: 0, bufferSize: 1000, metrics, logger: createLogger("audit-test", "error") });
  for (let i = 0; i < 900; i++) backend.processEvents([event(i)]);
  // The writer drains asynchronously; a burst beyond what it holds is dropped, never waited for.
  for (let i = 900; i < 3000; i++) backend.processEvents([event(i)]);
  await backend.shutdown();
  const lines = (await readFile(path, "utf8")).trimEnd().split("\n");
  const written = (await registry.getSingleMetric("apiserver_audit_event_total")!.get()).values[0]!.value;
  const errors = (await registry.getSingleMetric("apiserver_audit_error_total")!.get()).values.find((v) => v.labels["plugin"] === "log")?.value ?? 0;
  assert.equal(lines.length, written, "every accepted event is in the file");
  assert.equal(written + errors, 3000, "every event is either written or counted as an error");
  assert.ok(errors > 0, "a burst past the buffer is dropped");
  const ids = lines.map((l) => Number((JSON.parse(l) as AuditEvent).auditID));
  assert.deepEqual(ids.slice(0, 900), [...Array(900).keys()], "in order");
  backend.processEvents([event(-1)]);
  assert.equal(((await registry.getSingleMetric("apiserver_audit_error_total")!.get()).values[0]!.value), errors + 1, "after shutdown events are refused, and counted");
});

test("the backend's byte bound holds large events back too: a burst past it is dropped, not buffered", async () => {
  const dir = await tempDir();
  const path = join(dir, "audit.log");
  const registry = new Registry();
  const metrics = createAuditMetrics(registry);
  const big = (i: number): AuditEvent => ({ ...event(i), requestObject: { data: "x".repeat(100_000) } });
  const backend = new LogBackend({ path, maxSizeMb: 0, maxBackups: 0, maxAgeDays: 0, bufferBytes: 350_000, metrics, logger: createLogger("audit-test", "error") });
  for (let i = 0; i < 10; i++) backend.processEvents([big(i)]);
  await backend.shutdown();
  const lines = (await readFile(path, "utf8")).trimEnd().split("\n");
  // The first is taken by the writer at once; three more 100 kB events fit in the 350 kB queue.
  assert.equal(lines.length, 4);
  assert.equal((await registry.getSingleMetric("apiserver_audit_error_total")!.get()).values[0]!.value, 6);
});
