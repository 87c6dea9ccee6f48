// Unit tests of --node-ip parsing (one address per family) and the InternalIP addresses it gives a Node.
import assert from "node:assert/strict";
import { tmpdir } from "node:os";
import { test } from "node:test";
import { parseNodeIps, readHostInfo } from "./host-info.js";

test("--node-ip takes one address, or one IPv4 and one IPv6 in either order", () => {
  assert.deepEqual(parseNodeIps("10.0.0.5"), ["10.0.0.5"]);
  assert.deepEqual(parseNodeIps("10.0.0.5,fd00:77::21"), ["10.0.0.5", "fd00:77::21"]);
  assert.deepEqual(parseNodeIps("fd00:77::21, 10.0.0.5"), ["fd00:77::21", "10.0.0.5"]);
  assert.throws(() => parseNodeIps("10.0.0.5,10.0.0.6"), /one address of each family/);
  assert.throws(() => parseNodeIps("fd00::1,fd00::2"), /one address of each family/);
  assert.throws(() => parseNodeIps("10.0.0.5,fd00::1,10.0.0.6"), /at most one IPv4 and one IPv6/);
  assert.throws(() => parseNodeIps("10.0.0.5,"), /"" is not an IP address/);
  assert.throws(() => parseNodeIps("node-1"), /"node-1" is not an IP address/);
});

test("each node IP is reported as an InternalIP, the primary first, then the Hostname", async () => {
  const info = await readHostInfo({ rootDir: tmpdir(), nodeIps: ["10.0.0.5", "fd00:77::21"], hostname: "worker-1", kubeletVersion: "v1", containerRuntimeVersion: "containerd://1" });
  assert.deepEqual(info.addresses, [
    { type: "InternalIP", address: "10.0.0.5" },
    { type: "InternalIP", address: "fd00:77::21" },
    { type: "Hostname", address: "worker-1" },
  ]);
});
