// Unit tests for InterPodAffinity: required terms (incoming and existing pods) and preferred scoring.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { coreV1Pod } from "@kubeplane/api";
import { Code, CycleState } from "../framework/interface.js";
import type { PodInfo } from "../framework/interface.js";
import { ERR_AFFINITY, ERR_ANTI_AFFINITY, ERR_EXISTING_ANTI_AFFINITY, InterPodAffinity } from "./inter-pod-affinity.js";
import { type FakeSnapshot, makeNode, makePod, podInfo, snapshotOf } from "./test-support.js";

type Term = Parameters<typeof coreV1Pod.PodAffinityTerm.fromPartial>[0];
const term = (matchLabels: Record<string, string>, topologyKey = "zone", extra: Term = {}): Term => ({ labelSelector: { matchLabels }, topologyKey, ...extra });

const zones = (): ReturnType<typeof makeNode>[] => [
  makeNode("a1", { labels: { zone: "a" } }),
  makeNode("a2", { labels: { zone: "a" } }),
  makeNode("b1", { labels: { zone: "b" } }),
  makeNode("nozone"),
];

/** Runs PreFilter then Filter on every node: node name → [code, reason]. */
function filterAll(snapshot: FakeSnapshot, pod: PodInfo): Map<string, [Code, string]> {
  const plugin = new InterPodAffinity(undefined);
  const state = new CycleState();
  const pre = plugin.preFilter(state, pod, snapshot);
  const out = new Map<string, [Code, string]>();
  for (const n of snapshot.list()) {
    const s = pre.status.code === Code.Skip ? pre.status : plugin.filter(state, pod, n);
    out.set(n.name, [s.code, s.reasons[0] ?? ""]);
  }
  return out;
}

const fits = (r: Map<string, [Code, string]>): string[] => [...r].filter(([, [c]]) => c === Code.Success || c === Code.Skip).map(([n]) => n);

describe("InterPodAffinity filter", () => {
  test("required affinity lands only in zones holding a matching pod", () => {
    const snapshot = snapshotOf(zones(), [makePod("db", { labels: { app: "db" }, nodeName: "b1" })]);
    const pod = podInfo("web", { spec: { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: "db" })] } } } });
    const r = filterAll(snapshot, pod);
    assert.deepEqual(fits(r), ["b1"]);
    assert.deepEqual(r.get("a1"), [Code.UnschedulableAndUnresolvable, ERR_AFFINITY]);
    assert.deepEqual(r.get("nozone"), [Code.UnschedulableAndUnresolvable, ERR_AFFINITY]);
  });

  test("affinity terms default to the pod's namespace and honour explicit namespaces", () => {
    const snapshot = snapshotOf(zones(), [makePod("db", { namespace: "data", labels: { app: "db" }, nodeName: "b1" })]);
    const same = podInfo("web", { spec: { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: "db" })] } } } });
    assert.deepEqual(fits(filterAll(snapshot, same)), []);
    const other = podInfo("web", {
      spec: { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: "db" }, "zone", { namespaces: ["data"] })] } } },
    });
    assert.deepEqual(fits(filterAll(snapshot, other)), ["b1"]);
    const anyNs = podInfo("web", {
      spec: { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: "db" }, "zone", { namespaceSelector: {} })] } } },
    });
    assert.deepEqual(fits(filterAll(snapshot, anyNs)), ["b1"]);
  });

  test("the first pod of a self-affine group may go to any node with the topology label", () => {
    const snapshot = snapshotOf(zones());
    const pod = podInfo("web-0", { labels: { app: "web" }, spec: { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: "web" })] } } } });
    assert.deepEqual(fits(filterAll(snapshot, pod)), ["a1", "a2", "b1"]);
  });

  test("a pod not matching its own affinity gets no first-pod exemption", () => {
    const snapshot = snapshotOf(zones());
    const pod = podInfo("web", { labels: { app: "web" }, spec: { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: "db" })] } } } });
    assert.deepEqual(fits(filterAll(snapshot, pod)), []);
  });

  test("required anti-affinity keeps the pod out of zones holding a matching pod", () => {
    const snapshot = snapshotOf(zones(), [makePod("web-0", { labels: { app: "web" }, nodeName: "a1" })]);
    const pod = podInfo("web-1", { labels: { app: "web" }, spec: { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: "web" })] } } } });
    const r = filterAll(snapshot, pod);
    assert.deepEqual(fits(r), ["b1", "nozone"]);
    assert.deepEqual(r.get("a2"), [Code.Unschedulable, ERR_ANTI_AFFINITY]);
  });

  test("an existing pod's required anti-affinity repels a matching incoming pod from its zone", () => {
    const guard = makePod("guard", {
      nodeName: "b1",
      spec: { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: "noisy" })] } } },
    });
    const snapshot = snapshotOf(zones(), [guard]);
    const noisy = filterAll(snapshot, podInfo("noisy", { labels: { app: "noisy" } }));
    assert.deepEqual(fits(noisy), ["a1", "a2", "nozone"]);
    assert.deepEqual(noisy.get("b1"), [Code.Unschedulable, ERR_EXISTING_ANTI_AFFINITY]);
    assert.deepEqual(fits(filterAll(snapshot, podInfo("quiet", { labels: { app: "quiet" } }))), ["a1", "a2", "b1", "nozone"]);
  });

  test("hostname anti-affinity spreads replicas one per node", () => {
    const snapshot = snapshotOf(zones(), [makePod("web-0", { labels: { app: "web" }, nodeName: "a1" })]);
    const pod = podInfo("web-1", {
      labels: { app: "web" },
      spec: { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: "web" }, "kubernetes.io/hostname")] } } },
    });
    assert.deepEqual(fits(filterAll(snapshot, pod)), ["a2", "b1", "nozone"]);
  });

  test("a pod without affinity and no anti-affine neighbours skips the plugin", () => {
    const plugin = new InterPodAffinity(undefined);
    const pre = plugin.preFilter(new CycleState(), podInfo("p"), snapshotOf(zones()));
    assert.equal(pre.status.code, Code.Skip);
  });
});

describe("InterPodAffinity score", () => {
  function scores(snapshot: FakeSnapshot, pod: PodInfo): Map<string, number> {
    const plugin = new InterPodAffinity(undefined);
    const state = new CycleState();
    const nodes = snapshot.list();
    const pre = plugin.preScore(state, pod, nodes, snapshot);
    const out = Float64Array.from(nodes, (n) => (pre.code === Code.Skip ? 0 : plugin.score(state, pod, n)));
    plugin.normalizeScores(state, pod, out);
    return new Map(nodes.map((n, i) => [n.name, out[i]!]));
  }

  test("preferred affinity and anti-affinity weights order the zones", () => {
    const snapshot = snapshotOf(zones(), [
      makePod("cache", { labels: { app: "cache" }, nodeName: "a1" }),
      makePod("batch", { labels: { app: "batch" }, nodeName: "b1" }),
    ]);
    const pod = podInfo("web", {
      spec: {
        affinity: {
          podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 80, podAffinityTerm: term({ app: "cache" }) }] },
          podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 50, podAffinityTerm: term({ app: "batch" }) }] },
        },
      },
    });
    const s = scores(snapshot, pod);
    assert.deepEqual(Object.fromEntries(s), { a1: 100, a2: 100, nozone: 38, b1: 0 });
  });

  test("existing pods' preferred affinity and anti-affinity toward the incoming pod count", () => {
    const lover = makePod("lover", {
      nodeName: "b1",
      spec: { affinity: { podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, podAffinityTerm: term({ app: "web" }) }] } } },
    });
    const hater = makePod("hater", {
      nodeName: "a1",
      spec: { affinity: { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, podAffinityTerm: term({ app: "web" }) }] } } },
    });
    const s = scores(snapshotOf(zones(), [lover, hater]), podInfo("web", { labels: { app: "web" } }));
    assert.ok(s.get("b1")! > s.get("nozone")! && s.get("nozone")! > s.get("a2")!, JSON.stringify([...s]));
    assert.equal(s.get("b1"), 100);
    assert.equal(s.get("a1"), 0);
  });

  test("an existing pod's required affinity for the incoming pod adds hardPodAffinityWeight", () => {
    const needy = makePod("needy", {
      nodeName: "a1",
      spec: { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: "web" })] } } },
    });
    const s = scores(snapshotOf(zones(), [needy]), podInfo("web", { labels: { app: "web" } }));
    assert.deepEqual(Object.fromEntries(s), { a1: 100, a2: 100, b1: 0, nozone: 0 });
  });

  test("nothing to prefer skips scoring", () => {
    const plugin = new InterPodAffinity(undefined);
    const snapshot = snapshotOf(zones(), [makePod("x", { nodeName: "a1" })]);
    assert.equal(plugin.preScore(new CycleState(), podInfo("p"), snapshot.list(), snapshot).code, Code.Skip);
  });
});
