// Tests of the Service IP and NodePort range pickers.
import assert from "node:assert/strict";
import { test } from "node:test";
import { NodePortRange, ServiceIpRange } from "./allocators.js";

test("a /29 service range hands out the six host addresses, never network or broadcast", () => {
  const range = new ServiceIpRange("10.0.0.8/29");
  assert.equal(range.size, 6);
  const taken = new Set<string>();
  for (let i = 0; i < 6; i++) taken.add(range.pick(Math.random, taken)!);
  assert.deepEqual([...taken].sort(), ["10.0.0.10", "10.0.0.11", "10.0.0.12", "10.0.0.13", "10.0.0.14", "10.0.0.9"]);
  assert.equal(range.pick(Math.random, taken), undefined);
});

test("contains accepts host addresses only", () => {
  const range = new ServiceIpRange("10.96.0.0/12");
  assert.equal(range.contains("10.96.0.1"), true);
  assert.equal(range.contains("10.111.255.254"), true);
  assert.equal(range.contains("10.96.0.0"), false);
  assert.equal(range.contains("10.111.255.255"), false);
  assert.equal(range.contains("10.112.0.1"), false);
  assert.equal(range.contains("not-an-ip"), false);
});

test("pick probes past excluded addresses from the random start", () => {
  const range = new ServiceIpRange("10.0.0.0/24");
  assert.equal(range.pick(() => 0, new Set()), "10.0.0.1");
  assert.equal(range.pick(() => 0, new Set(["10.0.0.1", "10.0.0.2"])), "10.0.0.3");
  assert.equal(range.pick(() => 0.9999, new Set(["10.0.0.254"])), "10.0.0.1");
});

test("reservation keys live outside /registry/", () => {
  assert.equal(new ServiceIpRange("10.96.0.0/12").keyFor("10.96.0.10"), "/kubeplane/ranges/serviceips/10.96.0.10");
  assert.equal(new NodePortRange().keyFor(30080), "/kubeplane/ranges/nodeports/30080");
});

test("too small or malformed service ranges are refused", () => {
  assert.throws(() => new ServiceIpRange("10.0.0.0/31"), RangeError);
  assert.throws(() => new ServiceIpRange("10.0.0.1/24"), RangeError);
});

test("node port range defaults to 30000-32767 and picks only free ports", () => {
  const range = new NodePortRange();
  assert.equal(range.size, 2768);
  assert.equal(range.contains(30000), true);
  assert.equal(range.contains(32768), false);
  const small = new NodePortRange(40000, 40002);
  const taken = new Set([40000, 40002]);
  assert.equal(small.pick(Math.random, taken), 40001);
  taken.add(40001);
  assert.equal(small.pick(Math.random, taken), undefined);
  assert.throws(() => new NodePortRange(5, 4), RangeError);
});

test("an IPv6 /125 service range hands out its 7 addresses after the network address, in RFC 5952 form", () => {
  const range = new ServiceIpRange("fd00:10:96::/125");
  assert.equal(range.family, "IPv6");
  assert.equal(range.size, 7);
  const seen = new Set<string>();
  for (let i = 0; i < 7; i++) seen.add(range.pick(() => i / 7, seen)!);
  assert.deepEqual([...seen].sort(), ["fd00:10:96::1", "fd00:10:96::2", "fd00:10:96::3", "fd00:10:96::4", "fd00:10:96::5", "fd00:10:96::6", "fd00:10:96::7"]);
  assert.equal(range.pick(() => 0, seen), undefined);
  assert.equal(range.contains("fd00:10:96::"), false);
  assert.equal(range.contains("fd00:10:96:0:0:0:0:7"), true);
  assert.equal(range.contains("10.96.0.1"), false);
  assert.equal(range.keyFor("FD00:10:96:0::0007"), "/kubeplane/ranges/serviceips/fd00:10:96::7");
});

test("IPv6 service ranges larger than /108, with host bits or malformed are refused; an IPv4 range holds no IPv6 address", () => {
  assert.throws(() => new ServiceIpRange("fd00:10:96::/64"), /mask must be >= 108/);
  assert.doesNotThrow(() => new ServiceIpRange("fd00:10:96::/108"));
  assert.throws(() => new ServiceIpRange("fd00:10:96::1/112"), RangeError);
  assert.throws(() => new ServiceIpRange("fd00:::1/112"), RangeError);
  assert.equal(new ServiceIpRange("10.96.0.0/12").contains("fd00::1"), false);
});
