// Tests of the IPv4 CIDR parser.
import assert from "node:assert/strict";
import { test } from "node:test";
import { formatIpv4, parseIpv4, parseIpv4Cidr } from "./ipv4-cidr.js";

test("parseIpv4 round-trips dotted quads and rejects malformed ones", () => {
  for (const ip of ["0.0.0.0", "10.96.0.1", "255.255.255.255", "192.168.1.254"]) assert.equal(formatIpv4(parseIpv4(ip)!), ip);
  for (const bad of ["", "10.96.0", "10.96.0.1.2", "256.0.0.1", "01.2.3.4", "a.b.c.d", "1.2.3.-4", " 1.2.3.4"]) {
    assert.equal(parseIpv4(bad), undefined, bad);
  }
});

test("parseIpv4Cidr gives the network base, prefix length and address count", () => {
  assert.deepEqual(parseIpv4Cidr("10.96.0.0/12"), { base: parseIpv4("10.96.0.0"), prefixLength: 12, addressCount: 2 ** 20 });
  assert.deepEqual(parseIpv4Cidr("0.0.0.0/0"), { base: 0, prefixLength: 0, addressCount: 2 ** 32 });
  assert.equal(parseIpv4Cidr("192.168.1.7/32").addressCount, 1);
});

test("parseIpv4Cidr rejects malformed CIDRs and host bits set", () => {
  for (const bad of ["10.96.0.0", "10.96.0.0/33", "10.96.0.0/", "10.96.0/12", "x/8"]) assert.throws(() => parseIpv4Cidr(bad), RangeError, bad);
  assert.throws(() => parseIpv4Cidr("10.96.0.1/12"), /host bits set; the network is 10\.96\.0\.0\/12/);
});
