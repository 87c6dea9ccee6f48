// Unit tests of the unit-file reader and the unit runner: ExecStart continuation and quoting, Environment, Restart= honoured.
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { waitFor } from "@kubeplane/testing";
import { parseServiceUnit, shouldRestart, splitWords, timeSpanMs, UnitFileError } from "./unit-file.js";
import { UnitRunner } from "./unit-runner.js";

test("ExecStart continuation lines, quotes and %% are read as systemd reads them", () => {
  const unit = parseServiceUnit(
    "kp-x",
    ["[Unit]", "Description=x", "", "[Service]", "Environment=A=1 \"B=two words\"", "Environment=C=3", "WorkingDirectory=/srv", "ExecStart=/bin/echo \\", "    --a=1 \\", "    'b c' 100%%", "Restart=on-failure", "RestartSec=2", "KillMode=process"].join("\n"),
  );
  assert.deepEqual(unit.argv, ["/bin/echo", "--a=1", "b c", "100%"]);
  assert.deepEqual(unit.environment, { A: "1", B: "two words", C: "3" });
  assert.equal(unit.workingDirectory, "/srv");
  assert.equal(unit.restart, "on-failure");
  assert.equal(unit.restartSecMs, 2000);
  assert.equal(unit.timeoutStopMs, 90_000);
  assert.equal(unit.killMainOnly, true);
});

test("time spans, word splitting errors and units without ExecStart", () => {
  assert.equal(timeSpanMs("1min 30s"), 90_000);
  assert.equal(timeSpanMs("500ms"), 500);
  assert.throws(() => timeSpanMs("soon"), UnitFileError);
  assert.throws(() => splitWords('a "b'), /unterminated quote/);
  assert.throws(() => parseServiceUnit("kp-y", "[Service]\nRestart=on-failure\n"), /no ExecStart/);
  assert.throws(() => parseServiceUnit("kp-y", "[Service]\nExecStart=/bin/true\nRestart=sometimes\n"), /unknown Restart/);
});

test("Restart= policies: on-failure restarts non-zero exits and unclean signals, not clean stops", () => {
  assert.equal(shouldRestart("on-failure", 1, null), true);
  assert.equal(shouldRestart("on-failure", null, "SIGKILL"), true);
  assert.equal(shouldRestart("on-failure", 0, null), false);
  assert.equal(shouldRestart("on-failure", null, "SIGTERM"), false);
  assert.equal(shouldRestart("always", 0, null), true);
  assert.equal(shouldRestart("no", 1, null), false);
  assert.equal(shouldRestart("on-abnormal", 1, null), false);
});

test("the runner restarts a failing Restart=on-failure unit, leaves a Restart=no one failed, and stops the rest", async () => {
  const dir = await mkdtemp(join(tmpdir(), "kp-runner-"));
  const runner = new UnitRunner({ logDir: dir, statusFile: join(dir, "status.json") });
  try {
    const unit = (name: string, script: string, restart: string): ReturnType<typeof parseServiceUnit> =>
      parseServiceUnit(name, `[Service]\nEnvironment=GREETING=hi\nExecStart=/bin/sh -c '${script}'\nRestart=${restart}\nRestartSec=100ms\nTimeoutStopSec=5\n`);
    await runner.start([
      unit("flaky", "echo $GREETING; exit 3", "on-failure"),
      unit("once", "exit 4", "no"),
      unit("steady", "exec sleep 60", "on-failure"),
    ]);
    await waitFor(() => (runner.statuses()[0]?.restarts ?? 0) >= 2, { timeoutMs: 10_000, message: "flaky restarted twice" });
    await waitFor(() => runner.statuses()[1]?.state === "failed", { timeoutMs: 5000, message: "once failed" });
    assert.equal(runner.statuses()[1]?.restarts, 0);
    assert.equal(runner.statuses()[2]?.state, "running");
    const pid = runner.statuses()[2]?.pid as number;
    await runner.stop();
    assert.equal(runner.statuses()[2]?.state, "stopped");
    assert.throws(() => process.kill(pid, 0), "the steady unit's process is gone");
    assert.match(await readFile(join(dir, "flaky.log"), "utf8"), /^hi$/m);
    const status = JSON.parse(await readFile(join(dir, "status.json"), "utf8")) as { units: Array<{ name: string; state: string }> };
    assert.deepEqual(status.units.map((u) => u.state), ["stopped", "failed", "stopped"]);
  } finally {
    await runner.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
