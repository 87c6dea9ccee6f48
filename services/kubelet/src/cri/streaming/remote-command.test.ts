// Tests of the remote command v4 status reading (the SPDY framing is tested in libs/spdy).
import assert from "node:assert/strict";
import { test } from "node:test";
import { exitCodeOf } from "./remote-command.js";

test("the v4 error stream's Status gives the exit code: Success 0, NonZeroExitCode its ExitCode cause; other failures throw their message", () => {
  assert.equal(exitCodeOf(""), 0);
  assert.equal(exitCodeOf('{"metadata":{},"status":"Success"}'), 0);
  const nonZero = { status: "Failure", reason: "NonZeroExitCode", message: "command terminated with non-zero exit code", details: { causes: [{ reason: "ExitCode", message: "3" }] } };
  assert.equal(exitCodeOf(JSON.stringify(nonZero)), 3);
  assert.throws(() => exitCodeOf(JSON.stringify({ status: "Failure", message: 'executable file not found in $PATH: "nope"' })), /executable file not found/);
  assert.throws(() => exitCodeOf("plain text failure"), /plain text failure/);
});
