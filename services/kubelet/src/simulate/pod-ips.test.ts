// Unit tests of simulated pod addressing: per-node /24s and the pod IP pool.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PodIpPool, simulatedPodCidr } from "./pod-ips.js";

describe("simulated pod IPs", () => {
  it("gives each node index its own /24", () => {
    assert.equal(simulatedPodCidr(0), "10.128.0.0/24");
    assert.equal(simulatedPodCidr(257), "10.129.1.0/24");
    assert.equal(simulatedPodCidr(32_767), "10.255.255.0/24");
    assert.throws(() => simulatedPodCidr(32_768), RangeError);
  });

  it("hands out .2 to .254 once each, keeps a pod's IP, and reuses released ones", () => {
    const pool = new PodIpPool("10.128.5.0/24");
    assert.equal(pool.reserve("old", "10.128.5.3"), true);
    assert.equal(pool.reserve("stranger", "10.128.6.9"), false);
    const ips = Array.from({ length: 252 }, (_, i) => pool.allocate(`p${i}`));
    assert.equal(new Set(ips).size, 252);
    assert.ok(!ips.includes("10.128.5.3") && !ips.includes("10.128.5.1") && !ips.includes("10.128.5.255"));
    assert.equal(pool.allocate("p0"), ips[0], "a pod keeps its IP");
    assert.equal(pool.allocate("one-too-many"), undefined);
    pool.release("p7");
    assert.equal(pool.allocate("late"), ips[7]);
    assert.equal(pool.size, 253);
  });
});
