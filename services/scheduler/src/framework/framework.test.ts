// Unit tests of the framework runner and profiles, with tiny fake plugins.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { coreV1Node, coreV1Pod } from "@kubeplane/api";
import { SchedulerCache } from "./cache.js";
import { fitErrorMessage } from "./diagnosis.js";
import { SchedulingAlgorithm, numFeasibleNodesToFind } from "../schedule-one.js";
import { Framework, nodeScores, type FrameworkPlugins } from "./framework.js";
import { CycleState, NO_STORAGE, SKIP, SUCCESS, unresolvable, unschedulable, type FilterPlugin, type Node, type Pod, type PreFilterPlugin, type ScorePlugin } from "./interface.js";
import { nodeInfoOf } from "./node-info.js";
import { newPodInfo } from "./pod-info.js";
import { buildFramework } from "./profile.js";
import { NodeSnapshot, snapshotOf } from "./snapshot.js";

function node(name: string, labels: Record<string, string> = {}, cpu = "4"): Node {
  return coreV1Node.Node.fromPartial({ apiVersion: "v1", kind: "Node", metadata: { name, labels }, status: { allocatable: { cpu, memory: "8Gi", pods: "110" } } });
}
function pod(name: string, nodeName = "", cpu = "1"): Pod {
  return coreV1Pod.Pod.fromPartial({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { namespace: "default", name },
    spec: { nodeName, containers: [{ name: "c", image: "i", resources: { requests: { cpu } } }] },
  });
}
function plugins(p: Partial<FrameworkPlugins>): FrameworkPlugins {
  return { preFilter: [], filter: [], postFilter: [], preScore: [], score: [], reserve: [], bind: [], ...p };
}

/** Rejects nodes without the label `ok=true`. */
const labelFilter: FilterPlugin = {
  name: "LabelFilter",
  filter: (_s, _p, n) => (n.node.metadata?.labels?.ok === "true" ? SUCCESS : unschedulable("node(s) lacked ok=true")),
};
/** Rejects nodes named "tainted-*". */
const taintFilter: FilterPlugin = {
  name: "TaintFilter",
  filter: (_s, _p, n) => (n.name.startsWith("tainted") ? unresolvable("node(s) had untolerated taint {dedicated: gpu}") : SUCCESS),
};
/** Scores the number in the node's name (n1 → 1); normalizes to 0..100. */
const numberScore: ScorePlugin = {
  name: "NumberScore",
  score: (_s, _p, n) => Number(n.name.replace(/\D/g, "")),
  normalizeScores: (_s, _p, scores) => {
    const max = Math.max(...scores);
    for (let i = 0; i < scores.length; i++) scores[i] = max ? Math.round((scores[i]! * 100) / max) : 0;
  },
};
/** Prefers lower numbers, weight-able. */
const inverseScore: ScorePlugin = { name: "InverseScore", score: (_s, _p, n) => 100 - Number(n.name.replace(/\D/g, "")) * 10 };
const flatScore: ScorePlugin = { name: "Flat", score: () => 50 };

describe("framework runner", () => {
  const all = [node("n1", { ok: "true" }), node("n2", { ok: "true" }), node("n3"), node("tainted-4", { ok: "true" }), node("n5", { ok: "true" })];
  const snapshot = snapshotOf(all.map((n) => nodeInfoOf(n)));

  it("filters nodes and explains a pod that fits none", () => {
    const fwk = new Framework({ profileName: "p", plugins: plugins({ filter: [taintFilter, labelFilter] }) });
    const algo = new SchedulingAlgorithm({ percentageOfNodesToScore: 0 });
    const only3 = snapshotOf([nodeInfoOf(node("n3")), nodeInfoOf(node("tainted-1")), nodeInfoOf(node("tainted-2"))]);
    const r = algo.schedule(fwk, new CycleState(), newPodInfo(pod("p")), only3);
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.equal(fitErrorMessage(r.diagnosis), "0/3 nodes are available: 1 node(s) lacked ok=true, 2 node(s) had untolerated taint {dedicated: gpu}.");
  });

  it("picks the highest weighted sum of normalized scores", () => {
    const algo = new SchedulingAlgorithm({ percentageOfNodesToScore: 0 });
    const byNumber = new Framework({ profileName: "p", plugins: plugins({ filter: [labelFilter, taintFilter], score: [{ plugin: numberScore, weight: 1 }] }) });
    assert.deepEqual(algo.schedule(byNumber, new CycleState(), newPodInfo(pod("p")), snapshot), { ok: true, nodeName: "n5", evaluatedNodes: 5, feasibleNodes: 3 });
    const feasible = snapshot.list().filter((n) => ["n1", "n2", "n5"].includes(n.name));
    assert.deepEqual(nodeScores(feasible, byNumber.runScorePlugins(new CycleState(), newPodInfo(pod("p")), feasible)), [
      { name: "n1", total: 20, scores: { NumberScore: 20 } },
      { name: "n2", total: 40, scores: { NumberScore: 40 } },
      { name: "n5", total: 100, scores: { NumberScore: 100 } },
    ]);
    // n1: 20 + 90*3 = 290; n2: 40 + 80*3 = 280; n5: 100 + 50*3 = 250 → the weight turns the result.
    const weighted = new Framework({ profileName: "p", plugins: plugins({ filter: [labelFilter, taintFilter], score: [{ plugin: numberScore, weight: 1 }, { plugin: inverseScore, weight: 3 }] }) });
    const r = algo.schedule(weighted, new CycleState(), newPodInfo(pod("p")), snapshot);
    assert.ok(r.ok);
    assert.equal(r.ok && r.nodeName, "n1");
  });

  it("breaks ties at random among the best nodes", () => {
    const fwk = new Framework({ profileName: "p", plugins: plugins({ score: [{ plugin: flatScore, weight: 1 }] }) });
    const seen = new Set<string>();
    let seed = 42;
    const lcg = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const algo = new SchedulingAlgorithm({ percentageOfNodesToScore: 0, random: lcg });
    for (let k = 0; k < 40; k++) {
      const r = algo.schedule(fwk, new CycleState(), newPodInfo(pod("p")), snapshot);
      if (r.ok) seen.add(r.nodeName);
    }
    assert.equal(seen.size, 5, `ties spread over ${[...seen].join(",")}`);
  });

  it("restricts Filter to the intersection of PreFilter node names and skips a Skip-ing plugin's Filter", () => {
    const calls: string[] = [];
    const names = (n: string[]): PreFilterPlugin => ({ name: `Names${n.join("")}`, preFilter: () => ({ status: SUCCESS, nodeNames: new Set(n) }) });
    const skipper: PreFilterPlugin & FilterPlugin = {
      name: "Skipper",
      preFilter: () => ({ status: SKIP }),
      filter: () => unschedulable("should not run"),
    };
    const spy: FilterPlugin = { name: "Spy", filter: (_s, _p, n) => (calls.push(n.name), SUCCESS) };
    const fwk = new Framework({ profileName: "p", plugins: plugins({ preFilter: [names(["n1", "n2", "n5"]), names(["n2", "n5", "n3"]), skipper], filter: [skipper, spy], score: [{ plugin: numberScore, weight: 1 }] }) });
    const r = new SchedulingAlgorithm({ percentageOfNodesToScore: 0 }).schedule(fwk, new CycleState(), newPodInfo(pod("p")), snapshot);
    assert.deepEqual(calls.sort(), ["n2", "n5"]);
    assert.equal(r.ok && r.nodeName, "n5");
  });

  it("finds only enough feasible nodes in a large cluster and rotates where it starts", () => {
    assert.equal(numFeasibleNodesToFind(0, 50), 50);
    assert.equal(numFeasibleNodesToFind(0, 1000), 420); // 50 − 1000/125 = 42%
    assert.equal(numFeasibleNodesToFind(0, 5000), 500); // 50 − 40 = 10%
    assert.equal(numFeasibleNodesToFind(0, 10000), 500); // floor 5%
    assert.equal(numFeasibleNodesToFind(0, 150), 100); // 49% of 150 is below the 100-node minimum
    assert.equal(numFeasibleNodesToFind(30, 1000), 300);
    const many = snapshotOf(Array.from({ length: 1000 }, (_v, i) => nodeInfoOf(node(`n${i}`))));
    const seen: string[] = [];
    const spy: FilterPlugin = { name: "Spy", filter: (_s, _p, n) => (seen.push(n.name), SUCCESS) };
    const fwk = new Framework({ profileName: "p", plugins: plugins({ filter: [spy] }) });
    const algo = new SchedulingAlgorithm({ percentageOfNodesToScore: 0 });
    const r1 = algo.schedule(fwk, new CycleState(), newPodInfo(pod("a")), many);
    assert.equal(r1.ok && r1.evaluatedNodes, 420);
    assert.equal(seen[0], "n0");
    seen.length = 0;
    algo.schedule(fwk, new CycleState(), newPodInfo(pod("b")), many);
    assert.equal(seen[0], "n420");
  });
});

describe("profiles", () => {
  it("skips plugins that are not registered with a warning and honours weights and disabled sets", () => {
    const registry = {
      TestOnlyFit: () => ({ name: "TestOnlyFit", filter: () => SUCCESS, score: () => 1 }) as FilterPlugin & ScorePlugin,
      NodeName: () => ({ name: "NodeName", filter: () => SUCCESS }) as FilterPlugin,
    };
    const warnings: string[] = [];
    const handle = { snapshot: () => new NodeSnapshot(), storage: () => NO_STORAGE, evict: async () => undefined, nominate: async () => undefined, runFilters: () => SUCCESS, runPreFilterAddPod: () => SUCCESS, runPreFilterRemovePod: () => SUCCESS };
    const fwk = buildFramework(
      { schedulerName: "s", plugins: { multiPoint: { enabled: [{ name: "TestOnlyFit", weight: 7 }, { name: "NoSuchPlugin" }] }, filter: { disabled: [{ name: "NodeName" }] } } },
      registry,
      handle,
      { warn: (o) => void warnings.push((o as { plugin: string }).plugin) },
    );
    assert.ok(warnings.includes("NoSuchPlugin"));
    assert.ok(fwk.plugins.filter.some((p) => p.name === "TestOnlyFit"));
    assert.ok(!fwk.plugins.filter.some((p) => p.name === "NodeName"));
    assert.equal(fwk.plugins.score.find((s) => s.plugin.name === "TestOnlyFit")?.weight, 7);
  });
});

describe("cache and snapshot", () => {
  it("counts bound and assumed pods and re-copies only changed nodes", () => {
    const cache = new SchedulerCache();
    cache.addNode(node("a"));
    cache.addNode(node("b"));
    cache.addPod(pod("p1", "a", "2"));
    const snap = new NodeSnapshot();
    cache.updateSnapshot(snap);
    assert.equal(snap.get("a")!.requested.milliCpu, 2000);
    const bBefore = snap.get("b");
    cache.assumePod(newPodInfo(pod("p2", "", "1")), "a");
    cache.updateSnapshot(snap);
    assert.equal(snap.get("a")!.requested.milliCpu, 3000);
    assert.equal(snap.get("b"), bBefore, "unchanged node keeps its copy");
    cache.forgetPod("default/p2");
    cache.removePod(pod("p1", "a"));
    cache.updateSnapshot(snap);
    assert.equal(snap.get("a")!.requested.milliCpu, 0);
    cache.removeNode(node("b"));
    cache.updateSnapshot(snap);
    assert.deepEqual(snap.list().map((n) => n.name), ["a"]);
  });
});

describe("incremental snapshot", () => {
  /** A pod with required anti-affinity, so its node appears in havePodsWithRequiredAntiAffinity. */
  function antiAffinityPod(name: string, nodeName: string): Pod {
    const p = pod(name, nodeName, "100m");
    p.spec!.affinity = coreV1Pod.Affinity.fromPartial({
      podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: "kubernetes.io/hostname", labelSelector: { matchLabels: { app: "x" } } }] },
    });
    return p;
  }
  const view = (s: NodeSnapshot) => ({
    list: s.list().map((n) => `${n.name}:${n.requested.milliCpu}:${n.pods.length}`),
    get: s.list().map((n) => s.get(n.name) === n),
    anti: s.havePodsWithRequiredAntiAffinity().map((n) => n.name),
  });

  it("after every kind of change, matches a snapshot built from scratch (also across a change-log cut)", () => {
    const cache = new SchedulerCache();
    const live = new NodeSnapshot();
    let seed = 7;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let i = 0; i < 20; i++) cache.addNode(node(`n${i}`));
    const pods = new Map<string, string>();
    // Enough changes to pass the change log's cut (4 × 1024) several times.
    for (let step = 0; step < 12_000; step++) {
      const op = rand(10);
      const name = `p${rand(300)}`;
      const target = `n${rand(22)}`; // n20, n21 do not exist yet: placeholders, later real nodes
      if (op < 4) {
        const p = rand(5) === 0 ? antiAffinityPod(name, target) : pod(name, target, "100m");
        cache.addPod(p);
        pods.set(name, target);
      } else if (op < 6 && pods.has(name)) {
        cache.removePod(pod(name, pods.get(name)));
        pods.delete(name);
      } else if (op === 6 && !pods.has(name)) {
        cache.assumePod(newPodInfo(pod(name, "", "200m")), target);
        if (rand(2) === 0) cache.forgetPod(`default/${name}`);
      } else if (op === 7) {
        cache.addNode(node(target, { step: String(step) }));
      } else if (op === 8 && rand(20) === 0) {
        cache.removeNode(node(target));
      }
      if (rand(3) === 0) {
        cache.updateSnapshot(live);
        const fresh = new NodeSnapshot();
        cache.updateSnapshot(fresh);
        assert.deepEqual(view(live), view(fresh), `step ${step}`);
        assert.ok(view(live).get.every(Boolean), `step ${step}: list() and get() hold the same copies`);
      }
    }
  });
});
