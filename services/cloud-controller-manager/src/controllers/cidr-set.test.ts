// Unit tests of the node CIDR set: lowest free, occupied CIDRs kept, release, exhaustion, bad configuration.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CidrSet } from "./cidr-set.js";

describe("CidrSet", () => {
  it("allocates the lowest free node CIDR, skipping occupied ones, and reuses released ones", () => {
    const set = new CidrSet("10.244.0.0/22", 24);
    assert.equal(set.count, 4);
    set.occupy("preset", "10.244.1.0/24");
    set.occupy("foreign", "192.168.0.0/24");
    assert.equal(set.allocate("a"), "10.244.0.0/24");
    assert.equal(set.allocate("b"), "10.244.2.0/24");
    assert.equal(set.allocate("a"), "10.244.0.0/24", "a node keeps its reservation");
    assert.equal(set.allocate("c"), "10.244.3.0/24");
    assert.equal(set.allocate("d"), undefined);
    set.release("b");
    assert.equal(set.allocate("d"), "10.244.2.0/24");
    assert.equal(set.used, 4);
  });

  it("refuses a mask shorter than the cluster CIDR's and an invalid CIDR, naming the field", () => {
    assert.throws(() => new CidrSet("10.244.0.0/16", 8), /nodeCidrMaskSize: Invalid value 8/);
    assert.throws(() => new CidrSet("10.244.0.1/16", 24), /clusterCidr: Invalid value "10.244.0.1\/16": host bits must be zero/);
  });
});

describe("CidrSet of IPv6", () => {
  it("carves /64s out of a /56 in order, in RFC 5952 text, and ignores CIDRs of the other family", () => {
    const set = new CidrSet("fd00:10:244::/56", 64);
    assert.equal(set.count, 256);
    set.occupy("preset", "fd00:10:244:1::/64");
    set.occupy("foreign", "10.244.0.0/24");
    assert.equal(set.allocate("a"), "fd00:10:244::/64");
    assert.equal(set.allocate("b"), "fd00:10:244:2::/64");
    assert.equal(set.indexOf("fd00:10:244:ff::/64"), 255);
    assert.equal(set.indexOf("fd00:10:245::/64"), undefined);
    assert.equal(set.used, 3);
  });

  it("refuses host bits and a mask shorter than the cluster prefix", () => {
    assert.throws(() => new CidrSet("fd00:10:244::1/56", 64), /host bits must be zero \(did you mean fd00:10:244::\/56\?\)/);
    assert.throws(() => new CidrSet("fd00:10:244::/56", 48), /nodeCidrMaskSize: Invalid value 48/);
  });
});
