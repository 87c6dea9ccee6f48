// A test file for netns.test.ts: runs under `node --test` inside enterTestNetns, fails on request.
import { execFileSync } from "node:child_process";
import { existsSync, readlinkSync } from "node:fs";
import assert from "node:assert/strict";
import { test } from "node:test";
import { enterTestNetns } from "../src/netns.js";

const netns = await enterTestNetns(import.meta.url);

// The parent is the outer process, still in the namespace the run started in.
test(`runs inside network namespace ${netns}`, () => {
  assert.notEqual(readlinkSync("/proc/self/ns/net"), readlinkSync(`/proc/${process.ppid}/ns/net`));
  // containerd and runc need the host's cgroup v1 hierarchies, which `ip netns exec` would hide.
  assert.ok(existsSync("/sys/fs/cgroup/memory"), "/sys/fs/cgroup/memory is visible");
  const links = execFileSync("ip", ["-o", "link", "show"], { encoding: "utf8" }).trim().split("\n");
  assert.equal(links.length, 1, `only loopback is expected, got ${links.join(" | ")}`);
  assert.match(links[0] ?? "", /lo: <LOOPBACK,UP/);
  const named = execFileSync("ip", ["netns", "identify", String(process.pid)], { encoding: "utf8" }).trim();
  assert.equal(named, netns);
});

test("fails when asked to", () => {
  assert.equal(process.env.NETNS_FIXTURE_FAIL ?? "", "", "NETNS_FIXTURE_FAIL is set");
});
