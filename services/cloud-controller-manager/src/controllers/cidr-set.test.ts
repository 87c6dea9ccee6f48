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
