// Unit tests for the CIDR helpers: parsing both families, masking host bits, subtracting and merging ranges.
import assert from "node:assert/strict";
import { test } from "node:test";
import { formatIp, formatIpCanonical, mergeRanges, parseCidr, parseIp, subtractRanges, type AddressRange } from "./cidr.js";

const text = (ranges: readonly AddressRange[]): string[] => ranges.map((r) => `${formatIp(r.family, r.first)}-${formatIp(r.family, r.last)}`);

test("parses IPv4 and IPv6 CIDRs, masking host bits; refuses bad prefixes and addresses", () => {
  assert.deepEqual(text([parseCidr("10.1.2.3/16")!]), ["10.1.0.0-10.1.255.255"]);
  assert.deepEqual(text([parseCidr("2001:db8::1/126")!]), ["2001:db8:0:0:0:0:0:0-2001:db8:0:0:0:0:0:3"]);
  assert.equal(parseCidr("::ffff:10.0.0.1/128")?.first, 0xffff0a000001n);
  assert.equal(parseCidr("0.0.0.0/0")?.last, 0xffffffffn);
  for (const bad of ["10.0.0.0", "10.0.0.0/33", "10.0.0/8", "fd00::/129", "10.0.0.0/x", "10.0.0.0/-1"]) assert.equal(parseCidr(bad), undefined, bad);
  assert.equal(parseIp("300.1.1.1"), undefined);
});

test("a block minus its excepts is the ranges around them; other families are ignored", () => {
  const block = parseCidr("10.0.0.0/8")!;
  const holes = [parseCidr("10.1.0.0/16")!, parseCidr("10.0.0.0/24")!, parseCidr("fd00::/8")!];
  assert.deepEqual(text(subtractRanges(block, holes)), ["10.0.1.0-10.0.255.255", "10.2.0.0-10.255.255.255"]);
  assert.deepEqual(subtractRanges(block, [block]), []);
});

test("merging sorts by family and address and joins overlapping or adjacent ranges", () => {
  const merged = mergeRanges([parseCidr("10.0.1.0/24")!, parseCidr("fd00::/64")!, parseCidr("10.0.0.0/24")!, parseCidr("10.0.0.128/25")!, parseCidr("10.0.3.0/24")!]);
  assert.deepEqual(text(merged), ["10.0.0.0-10.0.1.255", "10.0.3.0-10.0.3.255", "fd00:0:0:0:0:0:0:0-fd00:0:0:0:ffff:ffff:ffff:ffff"]);
});

test("canonical text: IPv4 as is, IPv6 in RFC 5952 form", () => {
  const v6 = (text: string): string => formatIpCanonical(6, parseIp(text)!.value);
  assert.equal(formatIpCanonical(4, parseIp("10.96.0.1")!.value), "10.96.0.1");
  assert.equal(v6("FD00:0010:0096:0000:0000:0000:0000:000A"), "fd00:10:96::a");
  assert.equal(v6("1:0:0:2:0:0:0:3"), "1:0:0:2::3");
  assert.equal(v6("1:0:2:3:4:5:6:7"), "1:0:2:3:4:5:6:7");
  assert.equal(v6("::"), "::");
});
