// Tests of CRI log reading on real files: partial lines, tail from the end, since, timestamps, limit, follow and rotation.
import assert from "node:assert/strict";
import { appendFile, mkdir, mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { waitFor } from "@kubeplane/testing";
import { parseCriLogLine } from "./cri-log-line.js";
import { readContainerLog, type LogReadOptions } from "./container-log-reader.js";

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "kubelet-logs-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

let files = 0;
const newPath = (): string => join(dir, `c${++files}`, "0.log");

function cri(second: number, text: string, opts: { stream?: "stdout" | "stderr"; tag?: "F" | "P" } = {}): string {
  return `2026-11-23T10:00:${String(second).padStart(2, "0")}.123456789Z ${opts.stream ?? "stdout"} ${opts.tag ?? "F"} ${text}\n`;
}

async function logFile(content: string): Promise<string> {
  const path = newPath();
  await mkdir(join(path, ".."), { recursive: true });
  await writeFile(path, content);
  return path;
}

async function readAll(path: string, opts: LogReadOptions = {}, signal = new AbortController().signal): Promise<string> {
  let out = "";
  for await (const chunk of readContainerLog(path, opts, signal)) out += chunk.toString("utf8");
  return out;
}

test("a CRI line parses into time, stream, tag and text; other lines do not parse", () => {
  const line = parseCriLogLine(Buffer.from("2026-11-23T10:00:01.000000001Z stderr P half a li"));
  assert.deepEqual({ ...line, content: line?.content.toString() }, { time: "2026-11-23T10:00:01.000000001Z", stream: "stderr", partial: true, content: "half a li" });
  assert.equal(parseCriLogLine(Buffer.from("2026-11-23T10:00:01Z stdout F"))?.content.toString(), "");
  assert.equal(parseCriLogLine(Buffer.from("2026-11-23T10:00:01Z stdout F:x  two spaces"))?.content.toString(), " two spaces");
  assert.equal(parseCriLogLine(Buffer.from("not a cri line")), undefined);
  assert.equal(parseCriLogLine(Buffer.from("2026-11-23T10:00:01Z stdin F x")), undefined);
});

test("partial lines of each stream are joined, stdout and stderr both come through in file order", async () => {
  const path = await logFile(cri(1, "hel", { tag: "P" }) + cri(1, "oops", { stream: "stderr" }) + cri(2, "lo") + cri(3, "bye"));
  assert.equal(await readAll(path), "oops\nhello\nbye\n");
  assert.equal(await readAll(path, { timestamps: true }), "2026-11-23T10:00:01.123456789Z oops\n2026-11-23T10:00:01.123456789Z hello\n2026-11-23T10:00:03.123456789Z bye\n");
});

test("tail counts logical lines (partials joined) from the end, across 64 KiB read blocks", async () => {
  const lines = Array.from({ length: 5000 }, (_, i) => cri(i % 60, `line ${i} ${"x".repeat(40)}`)).join("");
  const path = await logFile(lines + cri(1, "split ", { tag: "P" }) + cri(1, "end"));
  const tail = await readAll(path, { tailLines: 3 });
  assert.equal(tail, `line 4998 ${"x".repeat(40)}\nline 4999 ${"x".repeat(40)}\nsplit end\n`);
  assert.equal(await readAll(path, { tailLines: 0 }), "");
  assert.equal((await readAll(path, { tailLines: 10_000 })).split("\n").length, 5002);
  const short = await logFile(cri(1, "a") + cri(2, "b"));
  assert.equal(await readAll(short, { tailLines: 2 }), "a\nb\n");
  assert.equal(await readAll(short, { tailLines: 1 }), "b\n");
});

test("since drops lines stamped before it; limitBytes cuts the output", async () => {
  const path = await logFile(cri(1, "old") + cri(5, "new") + cri(9, "newer"));
  assert.equal(await readAll(path, { sinceMillis: Date.parse("2026-11-23T10:00:05Z") }), "new\nnewer\n");
  assert.equal(await readAll(path, { limitBytes: 6 }), "old\nne");
});

test("a missing log reads as empty", async () => {
  assert.equal(await readAll(join(dir, "nowhere", "0.log")), "");
});

test("follow streams lines appended later, goes on across rotation, and ends once the container stopped and the file is drained", async () => {
  const path = await logFile(cri(1, "first"));
  let running = true;
  let out = "";
  const reading = (async () => {
    for await (const chunk of readContainerLog(path, { follow: { isRunning: () => Promise.resolve(running), pollMs: 50 } }, new AbortController().signal)) {
      out += chunk.toString();
    }
  })();
  await waitFor(() => out === "first\n" || undefined, { timeoutMs: 5000 });
  await appendFile(path, cri(2, "sec", { tag: "P" }));
  await appendFile(path, cri(2, "ond"));
  await waitFor(() => out === "first\nsecond\n" || undefined, { timeoutMs: 5000 });
  // Rotation as the kubelet's log manager does it: rename, then the runtime reopens a new file at the path.
  await rename(path, `${path}.20261123-100003`);
  await writeFile(path, cri(3, "after rotation"));
  await waitFor(() => out.endsWith("after rotation\n") || undefined, { timeoutMs: 5000 });
  await appendFile(path, cri(4, "last words"));
  running = false;
  await reading;
  assert.equal(out, "first\nsecond\nafter rotation\nlast words\n");
});

test("follow ends when the caller aborts, even with the container still running", async () => {
  const path = await logFile(cri(1, "only"));
  const controller = new AbortController();
  const chunks: string[] = [];
  const reading = (async () => {
    for await (const chunk of readContainerLog(path, { follow: { isRunning: () => Promise.resolve(true), pollMs: 60_000 } }, controller.signal)) chunks.push(chunk.toString());
  })();
  await waitFor(() => chunks.length === 1 || undefined, { timeoutMs: 5000 });
  controller.abort();
  await reading;
  assert.deepEqual(chunks, ["only\n"]);
});
