// Tests of the remote command v4 status reading and of the SPDY/3 header dictionary.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import { exitCodeOf } from "./remote-command.js";
import { SPDY3_HEADER_DICTIONARY } from "./spdy-dictionary.js";

test("the v4 error stream's Status gives the exit code: Success 0, NonZeroExitCode its ExitCode cause; other failures throw their message", () => {
  assert.equal(exitCodeOf(""), 0);
  assert.equal(exitCodeOf('{"metadata":{},"status":"Success"}'), 0);
  const nonZero = { status: "Failure", reason: "NonZeroExitCode", message: "command terminated with non-zero exit code", details: { causes: [{ reason: "ExitCode", message: "3" }] } };
  assert.equal(exitCodeOf(JSON.stringify(nonZero)), 3);
  assert.throws(() => exitCodeOf(JSON.stringify({ status: "Failure", message: 'executable file not found in $PATH: "nope"' })), /executable file not found/);
  assert.throws(() => exitCodeOf("plain text failure"), /plain text failure/);
});

test("the SPDY/3 header dictionary is the protocol's 1423 bytes", () => {
  assert.equal(SPDY3_HEADER_DICTIONARY.length, 1423);
  // The digest of the dictionary as moby/spdystream (which containerd's streaming server uses) defines it.
  assert.equal(createHash("sha256").update(SPDY3_HEADER_DICTIONARY).digest("hex"), EXPECTED_SHA256);
});

const EXPECTED_SHA256 = "51d27341373f923f3cd88e1eb7162aeaa3723d7585ff2399201dc06498407f02";
