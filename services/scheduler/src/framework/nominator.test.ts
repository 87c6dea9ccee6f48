// Unit tests for the nominator: nominations from pod status, kept in memory across updates, cleared when bound or deleted.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { coreV1Pod } from "@kubeplane/api";
import type { Pod } from "./interface.js";
import { PodNominator } from "./nominator.js";
import { newPodInfo } from "./pod-info.js";

function pod(name: string, nominatedNodeName = "", nodeName = ""): Pod {
  return coreV1Pod.Pod.fromPartial({
    metadata: { namespace: "default", name, uid: `uid-${name}` },
    spec: { nodeName, containers: [{ name: "c", image: "i" }] },
    status: { phase: "Pending", nominatedNodeName },
  });
}

const namesOn = (n: PodNominator, node: string): string[] => n.nominatedPodsForNode(node).map((p) => p.pod.metadata?.name ?? "").sort();

describe("PodNominator", () => {
  it("indexes pods by status.nominatedNodeName and ignores pods without one", () => {
    const n = new PodNominator();
    n.add(pod("a", "n1"));
    n.add(pod("b", "n1"));
    n.add(pod("c"));
    assert.deepEqual(namesOn(n, "n1"), ["a", "b"]);
    assert.equal(n.nominatedNodeOf(pod("c")), undefined);
  });

  it("moves a pod whose nomination changed and drops one whose nomination was removed", () => {
    const n = new PodNominator();
    n.add(pod("a", "n1"));
    n.update(pod("a", "n1"), pod("a", "n2"));
    assert.deepEqual(namesOn(n, "n1"), []);
    assert.deepEqual(namesOn(n, "n2"), ["a"]);
    n.update(pod("a", "n2"), pod("a"));
    assert.deepEqual(namesOn(n, "n2"), []);
  });

  it("keeps an in-memory nomination across an update that carries none yet", () => {
    const n = new PodNominator();
    n.add(newPodInfo(pod("a")), "n1");
    // e.g. our PodScheduled=False write arrives before the nominatedNodeName one.
    n.update(pod("a"), pod("a"));
    assert.deepEqual(namesOn(n, "n1"), ["a"]);
  });

  it("forgets a pod once it is bound or deleted", () => {
    const n = new PodNominator();
    n.add(pod("a", "n1"));
    n.add(pod("b", "n1"));
    n.add(pod("a", "n1", "n1"));
    n.delete(pod("b"));
    assert.deepEqual(namesOn(n, "n1"), []);
  });
});
