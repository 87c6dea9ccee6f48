// IPv6 parsing and RFC 5952 formatting for the second-family Service IP range.
import assert from "node:assert/strict";
import { test } from "node:test";
import { canonicalIpv6, formatIpv6, parseIpv6, parseIpv6Cidr } from "./ipv6-cidr.js";

test("addresses round-trip to RFC 5952 text: lower case, no leading zeros, the longest zero run compressed", () => {
  assert.equal(canonicalIpv6("FD00:0010:0096:0000:0000:0000:0000:000A"), "fd00:10:96::a");
  assert.equal(canonicalIpv6("::"), "::");
  assert.equal(canonicalIpv6("::1"), "::1");
  assert.equal(canonicalIpv6("1:0:0:2:0:0:0:3"), "1:0:0:2::3");
  assert.equal(canonicalIpv6("1:0:2:3:4:5:6:7"), "1:0:2:3:4:5:6:7");
  assert.equal(canonicalIpv6("::ffff:10.0.0.1"), "::ffff:a00:1");
  assert.equal(parseIpv6("10.0.0.1"), undefined);
  assert.equal(parseIpv6("fe80::1%eth0"), undefined);
  assert.equal(formatIpv6((1n << 128n) - 1n), "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
});

test("a CIDR parses to its network; host bits set or a prefix past 128 is refused", () => {
  const c = parseIpv6Cidr("fd00:10:244::/56");
  assert.equal(c.prefixLength, 56);
  assert.equal(formatIpv6(c.base), "fd00:10:244::");
  assert.throws(() => parseIpv6Cidr("fd00:10:244::1/56"), /host bits set; the network is fd00:10:244::\/56/);
  assert.throws(() => parseIpv6Cidr("fd00::/129"), RangeError);
});
