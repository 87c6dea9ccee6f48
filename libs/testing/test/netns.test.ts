// enterTestNetns under `node --test`: the inner run's results pass through and its namespace is deleted.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import assert from "node:assert/strict";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { createNetns, deleteNetns, execInNetns } from "../src/netns.js";

const execFileAsync = promisify(execFile);
const fixture = fileURLToPath(new URL("./netns-child.fixture.ts", import.meta.url));
const crashFixture = fileURLToPath(new URL("./netns-crash.fixture.ts", import.meta.url));

interface Run {
  code: number;
  output: string;
}

async function runFixture(fail: boolean): Promise<Run> {
  // Without this, a runner nested in a test-runner child silently runs nothing.
  const { NODE_TEST_CONTEXT: _nested, ...inherited } = process.env;
  const env = { ...inherited, NETNS_FIXTURE_FAIL: fail ? "1" : "" };
  try {
    const { stdout } = await execFileAsync(process.execPath, [...process.execArgv, "--test", "--test-reporter=tap", fixture], { env });
    return { code: 0, output: stdout };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string };
    return { code: failed.code ?? -1, output: failed.stdout ?? "" };
  }
}

function namespaceOf(output: string): string {
  const match = /runs inside network namespace (kp-t-[0-9a-f]+)/.exec(output);
  assert.ok(match?.[1], `the inner test's name is in the runner's output:\n${output}`);
  return match[1];
}

test("a test file re-executed in its own network namespace reports its passing tests and leaves no namespace", async () => {
  const run = await runFixture(false);
  assert.equal(run.code, 0, run.output);
  assert.match(run.output, /^ok \d+ - runs inside network namespace kp-t-/m);
  assert.match(run.output, /^# pass 2$/m);
  assert.equal(existsSync(`/run/netns/${namespaceOf(run.output)}`), false);
});

test("a failing test inside the namespace makes the file fail", async () => {
  const run = await runFixture(true);
  assert.notEqual(run.code, 0, run.output);
  assert.match(run.output, /^not ok \d+ - fails when asked to$/m);
  assert.match(run.output, /^# fail 1$/m);
  assert.equal(existsSync(`/run/netns/${namespaceOf(run.output)}`), false);
});

test("createNetns gives a namespace with loopback up that deleteNetns removes with its processes", async () => {
  const name = await createNetns("probe");
  try {
    const links = await execInNetns(name, ["ip", "-o", "link", "show"]);
    assert.match(links, /lo: <LOOPBACK,UP/);
    assert.equal(links.trim().split("\n").length, 1);
  } finally {
    await deleteNetns(name);
  }
  assert.equal(existsSync(`/run/netns/${name}`), false);
  await deleteNetns(name); // idempotent
});

test("a test process killed with containerd and a container running leaves no container, shim or dir behind", async () => {
  const { NODE_TEST_CONTEXT: _nested, ...env } = process.env;
  const outcome = await execFileAsync(process.execPath, [...process.execArgv, crashFixture], { env }).then(
    ({ stdout }) => ({ code: 0, stdout }),
    (error: { code?: number; stdout?: string }) => ({ code: error.code ?? -1, stdout: error.stdout ?? "" }),
  );
  assert.equal(outcome.code, 137, `the outer process reports the SIGKILL: ${outcome.stdout}`);
  const { dir, pid } = JSON.parse(outcome.stdout.trim().split("\n").at(-1) ?? "{}") as { dir: string; pid: number };
  assert.ok(dir && pid > 0, outcome.stdout);
  const state = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
  // Gone, or a zombie nobody reaps yet: either way the container was killed.
  assert.ok(state === "" || / Z /.test(state), `the container's process ${pid} was killed: ${state}`);
  const { stdout: runc } = await execFileAsync("runc", ["--root", "/run/containerd/runc/k8s.io", "list"]);
  assert.equal(runc.includes(dir), false, "runc has no container of the crashed test's containerd");
  assert.equal(existsSync(dir), false, "the crashed test's containerd dir is removed");
});
