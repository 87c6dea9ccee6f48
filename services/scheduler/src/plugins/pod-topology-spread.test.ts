// Unit tests for PodTopologySpread: maxSkew filtering across zones, missing labels, node inclusion and scoring.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { coreV1Pod } from "@kubeplane/api";
import { Code, CycleState } from "../framework/interface.js";
import type { Pod, PodInfo } from "../framework/interface.js";
import { Framework } from "../framework/framework.js";
import { PodNominator } from "../framework/nominator.js";
import { newPodInfo } from "../framework/pod-info.js";
import { ERR_CONSTRAINTS_NOT_MATCH, ERR_MISSING_LABEL, PodTopologySpread } from "./pod-topology-spread.js";
import { type FakeSnapshot, makeNode, makePod, snapshotOf } from "./test-support.js";

type Constraint = Parameters<typeof coreV1Pod.TopologySpreadConstraint.fromPartial>[0];

const threeZones = (): ReturnType<typeof makeNode>[] => [
  makeNode("a1", { labels: { zone: "a" } }),
  makeNode("b1", { labels: { zone: "b" } }),
  makeNode("c1", { labels: { zone: "c" } }),
];

function spreadPod(name: string, constraint: Constraint, extra: Parameters<typeof makePod>[1] = {}): PodInfo {
  const c: Constraint = { maxSkew: 1, topologyKey: "zone", whenUnsatisfiable: "DoNotSchedule", labelSelector: { matchLabels: { app: "web" } }, ...constraint };
  return newPodInfo(makePod(name, { labels: { app: "web" }, ...extra, spec: { topologySpreadConstraints: [c], ...extra.spec } }));
}

function filterAll(snapshot: FakeSnapshot, pod: PodInfo): Map<string, [Code, string]> {
  const plugin = new PodTopologySpread();
  const state = new CycleState();
  const pre = plugin.preFilter(state, pod, snapshot);
  assert.equal(pre.status.code, Code.Success);
  return new Map(snapshot.list().map((n) => {
    const s = plugin.filter(state, pod, n);
    return [n.name, [s.code, s.reasons[0] ?? ""]];
  }));
}

const fits = (r: Map<string, [Code, string]>): string[] => [...r].filter(([, [c]]) => c === Code.Success).map(([n]) => n);

function scoresOf(snapshot: FakeSnapshot, pod: PodInfo): Map<string, number> {
  const plugin = new PodTopologySpread();
  const state = new CycleState();
  assert.equal(plugin.preScore(state, pod, snapshot.list(), snapshot).code, Code.Success);
  const nodes = snapshot.list();
  const scores = Float64Array.from(nodes, (n) => plugin.score(state, pod, n));
  plugin.normalizeScores(state, pod, scores, nodes);
  return new Map(nodes.map((n, i) => [n.name, scores[i]!]));
}

describe("PodTopologySpread filter", () => {
  test("placing pods one by one across 3 zones never exceeds maxSkew", () => {
    const placed: Pod[] = [];
    for (let i = 0; i < 12; i++) {
      const pod = spreadPod(`web-${i}`, {});
      const ok = fits(filterAll(snapshotOf(threeZones(), placed), pod));
      assert.ok(ok.length > 0, `web-${i} found no node`);
      placed.push({ ...pod.pod, spec: { ...pod.pod.spec!, nodeName: ok[0]! } });
      const perZone = ["a1", "b1", "c1"].map((n) => placed.filter((p) => p.spec?.nodeName === n).length);
      assert.ok(Math.max(...perZone) - Math.min(...perZone) <= 1, `skew after web-${i}: ${perZone.join(",")}`);
    }
  });

  test("a zone already ahead by maxSkew is rejected as Unschedulable", () => {
    const existing = [makePod("w0", { labels: { app: "web" }, nodeName: "a1" }), makePod("w1", { labels: { app: "web" }, nodeName: "b1" })];
    const r = filterAll(snapshotOf(threeZones(), existing), spreadPod("w2", {}));
    assert.deepEqual(fits(r), ["c1"]);
    assert.deepEqual(r.get("a1"), [Code.Unschedulable, ERR_CONSTRAINTS_NOT_MATCH]);
  });

  test("maxSkew 2 allows a zone two ahead of the emptiest", () => {
    const existing = [makePod("w0", { labels: { app: "web" }, nodeName: "a1" })];
    assert.deepEqual(fits(filterAll(snapshotOf(threeZones(), existing), spreadPod("w1", { maxSkew: 2 }))), ["a1", "b1", "c1"]);
  });

  test("pods in other namespaces or not matching the selector do not count", () => {
    const existing = [
      makePod("other-ns", { namespace: "x", labels: { app: "web" }, nodeName: "a1" }),
      makePod("other-app", { labels: { app: "db" }, nodeName: "a1" }),
    ];
    assert.deepEqual(fits(filterAll(snapshotOf(threeZones(), existing), spreadPod("w", {}))), ["a1", "b1", "c1"]);
  });

  test("nodes lacking the topology key are unresolvable with the missing-label reason", () => {
    const r = filterAll(snapshotOf([...threeZones(), makeNode("bare")]), spreadPod("w", {}));
    assert.deepEqual(r.get("bare"), [Code.UnschedulableAndUnresolvable, ERR_MISSING_LABEL]);
    assert.deepEqual(fits(r), ["a1", "b1", "c1"]);
  });

  test("domains outside the pod's nodeSelector are not counted (nodeAffinityPolicy Honor)", () => {
    const nodes = [makeNode("a1", { labels: { zone: "a", disk: "ssd" } }), makeNode("b1", { labels: { zone: "b", disk: "ssd" } }), makeNode("c1", { labels: { zone: "c" } })];
    const existing = [makePod("w0", { labels: { app: "web" }, nodeName: "a1" })];
    const honor = filterAll(snapshotOf(nodes, existing), spreadPod("w1", {}, { spec: { nodeSelector: { disk: "ssd" } } }));
    // Zone c is ignored, so the minimum is zone b's 0: a1 would make skew 2.
    assert.deepEqual(fits(honor), ["b1", "c1"]);
    const ignore = filterAll(snapshotOf(nodes, [...existing, makePod("w9", { labels: { app: "web" }, nodeName: "b1" })]), spreadPod("w1", { nodeAffinityPolicy: "Ignore" }, { spec: { nodeSelector: { disk: "ssd" } } }));
    // With c counted (0 pods), both a and b are one ahead: only c fits here (NodeAffinity then rejects it).
    assert.deepEqual(fits(ignore), ["c1"]);
  });

  test("nodeTaintsPolicy Honor leaves out domains whose taints the pod does not tolerate", () => {
    const nodes = threeZones();
    nodes[2]!.spec = { podCidr: "", podCidrs: [], providerId: "", unschedulable: false, taints: [{ key: "gpu", value: "", effect: "NoSchedule", timeAdded: "" }] };
    const existing = [makePod("w0", { labels: { app: "web" }, nodeName: "a1" }), makePod("w9", { labels: { app: "web" }, nodeName: "b1" })];
    // Ignore (the default): empty zone c is the minimum, so a and b are full.
    assert.deepEqual(fits(filterAll(snapshotOf(nodes, existing), spreadPod("w1", {}))), ["c1"]);
    // Honor: zone c is not counted, so a and b (one pod each) are the minimum and both fit.
    assert.deepEqual(fits(filterAll(snapshotOf(nodes, existing), spreadPod("w1", { nodeTaintsPolicy: "Honor" }))), ["a1", "b1", "c1"]);
  });

  test("minDomains above the number of domains treats the global minimum as 0", () => {
    const existing = [
      makePod("w0", { labels: { app: "web" }, nodeName: "a1" }),
      makePod("w1", { labels: { app: "web" }, nodeName: "b1" }),
      makePod("w2", { labels: { app: "web" }, nodeName: "c1" }),
    ];
    assert.deepEqual(fits(filterAll(snapshotOf(threeZones(), existing), spreadPod("w3", {}))), ["a1", "b1", "c1"]);
    assert.deepEqual(fits(filterAll(snapshotOf(threeZones(), existing), spreadPod("w3", { minDomains: 4 }))), []);
  });

  test("a pod without DoNotSchedule constraints skips the filter", () => {
    const pod = spreadPod("w", { whenUnsatisfiable: "ScheduleAnyway" });
    assert.equal(new PodTopologySpread().preFilter(new CycleState(), pod, snapshotOf(threeZones())).status.code, Code.Skip);
  });
});

describe("PodTopologySpread score", () => {
  test("ScheduleAnyway prefers the emptiest zone", () => {
    const existing = [
      makePod("w0", { labels: { app: "web" }, nodeName: "a1" }),
      makePod("w1", { labels: { app: "web" }, nodeName: "a1" }),
      makePod("w2", { labels: { app: "web" }, nodeName: "b1" }),
    ];
    const s = scoresOf(snapshotOf(threeZones(), existing), spreadPod("w3", { whenUnsatisfiable: "ScheduleAnyway" }));
    assert.equal(s.get("c1"), 100);
    assert.ok(s.get("c1")! > s.get("b1")! && s.get("b1")! > s.get("a1")!, JSON.stringify([...s]));
  });

  test("an even spread scores every zone the same", () => {
    const s = scoresOf(snapshotOf(threeZones()), spreadPod("w", { whenUnsatisfiable: "ScheduleAnyway" }));
    assert.deepEqual([...new Set(s.values())], [100]);
  });

  test("hostname constraints count per node and nodes missing the key score 0", () => {
    const nodes = [...threeZones(), makeNode("bare")];
    delete nodes[3]!.metadata!.labels["kubernetes.io/hostname"];
    const existing = [makePod("w0", { labels: { app: "web" }, nodeName: "a1" })];
    const s = scoresOf(snapshotOf(nodes, existing), spreadPod("w1", { whenUnsatisfiable: "ScheduleAnyway", topologyKey: "kubernetes.io/hostname" }));
    assert.equal(s.get("bare"), 0);
    assert.equal(s.get("b1"), 100);
    assert.ok(s.get("a1")! < s.get("b1")!);
  });
});

describe("PodTopologySpread PreFilter extensions", () => {
  const twoZones = (): ReturnType<typeof makeNode>[] => [makeNode("a1", { labels: { zone: "a" } }), makeNode("b1", { labels: { zone: "b" } })];
  const web = (name: string, nodeName: string): Pod => makePod(name, { labels: { app: "web" }, nodeName });

  function feasible(snapshot: FakeSnapshot, pod: PodInfo, nominator: PodNominator): string[] {
    const plugin = new PodTopologySpread();
    const fwk = new Framework({ profileName: "p", plugins: { preFilter: [plugin], filter: [plugin], postFilter: [], preScore: [], score: [], reserve: [], bind: [] }, nominator });
    const state = new CycleState();
    assert.equal(fwk.runPreFilterPlugins(state, pod, snapshot).status.code, Code.Success);
    return snapshot.list().filter((n) => fwk.runFilterPluginsWithNominatedPods(state, pod, n).code === Code.Success).map((n) => n.name);
  }

  test("a pod nominated to a zone counts there, so the next pod keeps the skew", () => {
    const snapshot = snapshotOf(twoZones(), [web("w0", "a1"), web("w1", "b1")]);
    const nominator = new PodNominator();
    const pod = spreadPod("next", {}, { priority: 10 });
    assert.deepEqual(feasible(snapshot, pod, nominator), ["a1", "b1"]);
    nominator.add(makePod("preemptor", { labels: { app: "web" }, priority: 100 }), "b1");
    // b1 would hold 3 (w1, the preemptor, this pod) against 1 in zone a.
    assert.deepEqual(feasible(snapshot, pod, nominator), ["a1"]);
  });

  test("a nominated pod of lower priority or another namespace does not count", () => {
    const snapshot = snapshotOf(twoZones(), [web("w0", "a1"), web("w1", "b1")]);
    const nominator = new PodNominator();
    nominator.add(makePod("cheap", { labels: { app: "web" }, priority: 1 }), "b1");
    nominator.add(makePod("elsewhere", { namespace: "other", labels: { app: "web" }, priority: 100 }), "b1");
    assert.deepEqual(feasible(snapshot, spreadPod("next", {}, { priority: 10 }), nominator), ["a1", "b1"]);
  });

  test("removePod then addPod restores the counts, leaving the state read before untouched", () => {
    const snapshot = snapshotOf(twoZones(), [web("w0", "a1"), web("w1", "a1"), web("w2", "b1")]);
    const plugin = new PodTopologySpread();
    const pod = spreadPod("next", {});
    const state = new CycleState();
    plugin.preFilter(state, pod, snapshot);
    const b1 = snapshot.get("b1")!;
    const a1 = snapshot.get("a1")!;
    assert.equal(plugin.filter(state, pod, a1).code, Code.Unschedulable);
    const copy = state.clone();
    plugin.removePod(copy, pod, newPodInfo(web("w1", "a1")), a1);
    assert.equal(plugin.filter(copy, pod, a1).code, Code.Success, "zone a down to 1 against 1 in zone b");
    assert.equal(plugin.filter(state, pod, a1).code, Code.Unschedulable, "the original state is unchanged");
    plugin.addPod(copy, pod, newPodInfo(web("w1", "a1")), a1);
    assert.equal(plugin.filter(copy, pod, a1).code, Code.Unschedulable);
    assert.equal(plugin.filter(copy, pod, b1).code, Code.Success);
  });
});
