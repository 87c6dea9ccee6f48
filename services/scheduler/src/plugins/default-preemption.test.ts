// Unit tests for DefaultPreemption: node choice, reprieve, priority rules and preemptionPolicy.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Code, CycleState, unresolvable } from "../framework/interface.js";
import type { Pod, PodInfo, Status } from "../framework/interface.js";
import { type Candidate, DefaultPreemption, PREEMPTED, pickCandidate } from "./default-preemption.js";
import { Framework } from "../framework/framework.js";
import { ERR_ANTI_AFFINITY, ERR_EXISTING_ANTI_AFFINITY, InterPodAffinity } from "./inter-pod-affinity.js";
import { NodeResourcesFit } from "./node-resources-fit.js";
import { type FakeSnapshot, FakeHandle, filterStatuses, makeNode, makePod, podInfo, snapshotOf } from "./test-support.js";

const node = (name: string): ReturnType<typeof makeNode> => makeNode(name, { cpu: "4", memory: "64Gi" });
const running = (name: string, nodeName: string, cpu: string, priority: number, extra: Parameters<typeof makePod>[1] = {}): Pod =>
  makePod(name, { nodeName, cpu, priority, startTime: "2026-01-01T00:00:00Z", ...extra });

async function preempt(snapshot: FakeSnapshot, pod: PodInfo, statuses?: Map<string, Status>) {
  const handle = new FakeHandle(snapshot);
  const plugin = new DefaultPreemption(undefined, handle);
  const result = await plugin.postFilter(new CycleState(), pod, snapshot, statuses ?? filterStatuses(snapshot, pod), new AbortController().signal);
  return { result, evicted: handle.evicted.map((e) => e.pod.metadata?.name).sort(), nominated: handle.nominated.map((n) => n.nodeName) };
}

describe("DefaultPreemption", () => {
  test("picks the node whose victims have the lowest priority", async () => {
    const snapshot = snapshotOf(
      [node("n1"), node("n2")],
      [running("mid", "n1", "4", 50), running("low", "n2", "4", 10)],
    );
    const { result, evicted, nominated } = await preempt(snapshot, podInfo("vip", { cpu: "2", priority: 100 }));
    assert.deepEqual(result.status, { code: Code.Unschedulable, reasons: [PREEMPTED] });
    assert.equal(result.nominatedNodeName, "n2");
    assert.deepEqual(evicted, ["low"]);
    assert.deepEqual(nominated, ["n2"]);
  });

  test("prefers the node needing the fewest victims at equal priority", async () => {
    const snapshot = snapshotOf(
      [node("n1"), node("n2")],
      [running("a", "n1", "2", 10), running("b", "n1", "1", 10), running("c", "n1", "1", 10), running("d", "n2", "2", 10), running("e", "n2", "2", 10)],
    );
    const { result, evicted } = await preempt(snapshot, podInfo("vip", { cpu: "2", priority: 100 }));
    // n1 keeps a but must lose b and c; n2 keeps d and loses only e.
    assert.equal(result.nominatedNodeName, "n2");
    assert.deepEqual(evicted, ["e"]);
  });

  test("reprieves the most important lower-priority pods that still leave room", async () => {
    const snapshot = snapshotOf([node("n1")], [running("p30", "n1", "1", 30), running("p20", "n1", "1", 20), running("p10", "n1", "2", 10)]);
    const { evicted } = await preempt(snapshot, podInfo("vip", { cpu: "2", priority: 100 }));
    // Removing all frees 4 cpu; p30 and p20 come back (2 cpu left), p10 cannot.
    assert.deepEqual(evicted, ["p10"]);
  });

  test("never evicts pods of equal or higher priority", async () => {
    const snapshot = snapshotOf([node("n1")], [running("same", "n1", "2", 100), running("high", "n1", "1", 1000), running("low", "n1", "1", 1)]);
    const { result, evicted, nominated } = await preempt(snapshot, podInfo("vip", { cpu: "2", priority: 100 }));
    assert.equal(result.status.code, Code.Unschedulable);
    assert.equal(result.nominatedNodeName, undefined);
    assert.match(result.status.reasons[0]!, /^preemption: 0\/1 nodes are available: 1 No preemption victims found for incoming pod\.$/);
    assert.deepEqual(evicted, []);
    assert.deepEqual(nominated, []);
  });

  test("preemptionPolicy Never preempts nothing", async () => {
    const snapshot = snapshotOf([node("n1")], [running("low", "n1", "4", 0)]);
    const { result, evicted } = await preempt(snapshot, podInfo("vip", { cpu: "2", priority: 100, preemptionPolicy: "Never" }));
    assert.deepEqual(result.status.reasons, ["not eligible due to preemptionPolicy=Never."]);
    assert.deepEqual(evicted, []);
  });

  test("skips nodes whose failure preemption cannot fix", async () => {
    const snapshot = snapshotOf([node("n1"), node("n2")], [running("low1", "n1", "4", 0), running("low2", "n2", "4", 0)]);
    const pod = podInfo("vip", { cpu: "2", priority: 100 });
    const statuses = filterStatuses(snapshot, pod);
    statuses.set("n1", unresolvable("node(s) didn't match Pod's node affinity/selector"));
    const { result, evicted } = await preempt(snapshot, pod, statuses);
    assert.equal(result.nominatedNodeName, "n2");
    assert.deepEqual(evicted, ["low2"]);
  });

  test("pods already terminating are never victims but make room", async () => {
    const snapshot = snapshotOf([node("n1")], [running("leaving", "n1", "2", 0, { deleting: true }), running("low", "n1", "2", 0)]);
    const { result, evicted } = await preempt(snapshot, podInfo("vip", { cpu: "2", priority: 100 }));
    assert.equal(result.nominatedNodeName, "n1");
    assert.deepEqual(evicted, []);
  });

  test("waits while lower-priority pods on its nominated node are still terminating", async () => {
    const snapshot = snapshotOf([node("n1"), node("n2")], [running("leaving", "n1", "4", 0, { deleting: true }), running("low", "n2", "4", 0)]);
    const pod = makePod("vip", { cpu: "2", priority: 100 });
    pod.status!.nominatedNodeName = "n1";
    const { result, evicted } = await preempt(snapshot, { ...podInfo("vip", { cpu: "2", priority: 100 }), pod });
    assert.deepEqual(result.status.reasons, ["not eligible due to a terminating pod on the nominated node."]);
    assert.deepEqual(evicted, []);
  });
});

describe("pickCandidate", () => {
  const v = (name: string, priority: number, startTime = "2026-01-01T00:00:00Z"): PodInfo => podInfo(name, { priority, startTime });
  const pick = (cs: Candidate[]): string | undefined => pickCandidate(cs)?.nodeName;

  test("orders by highest victim priority, then sum, then count, then latest start", () => {
    assert.equal(pick([{ nodeName: "a", victims: [v("x", 5)] }, { nodeName: "b", victims: [v("y", 3), v("z", 3)] }]), "b");
    assert.equal(pick([{ nodeName: "a", victims: [v("x", 5), v("y", 4)] }, { nodeName: "b", victims: [v("z", 5), v("w", 1)] }]), "b");
    assert.equal(pick([{ nodeName: "a", victims: [v("x", 5), v("y", 0)] }, { nodeName: "b", victims: [v("z", 5)] }]), "b");
    assert.equal(
      pick([{ nodeName: "a", victims: [v("x", 5, "2026-01-01T00:00:00Z")] }, { nodeName: "b", victims: [v("y", 5, "2026-02-01T00:00:00Z")] }]),
      "b",
    );
    assert.equal(pick([{ nodeName: "a", victims: [v("x", 0)] }, { nodeName: "b", victims: [] }]), "b");
  });
});

describe("DefaultPreemption with PreFilter extensions", () => {
  const onHost = (app: string) => ({
    affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app } }, topologyKey: "kubernetes.io/hostname" }] } },
  });

  /** The profile's real PreFilter/Filter (resources + inter-pod affinity) behind the handle, as the scheduler wires it. */
  async function preemptWithFramework(snapshot: FakeSnapshot, pod: PodInfo, opts: { extensions: boolean }) {
    const fit = new NodeResourcesFit(undefined);
    const affinity = new InterPodAffinity(undefined);
    const fwk = new Framework({ profileName: "p", plugins: { preFilter: [fit, affinity], filter: [fit, affinity], postFilter: [], preScore: [], score: [], reserve: [], bind: [] } });
    const state = new CycleState();
    assert.equal(fwk.runPreFilterPlugins(state, pod, snapshot).status.code, Code.Success);
    const handle = new FakeHandle(snapshot, (s, p, n) => fwk.runFilterPluginsWithNominatedPods(s, p, n));
    if (opts.extensions) {
      handle.runPreFilterAddPod = (s, p, other, n) => fwk.runPreFilterExtensionAddPod(s, p, other, n);
      handle.runPreFilterRemovePod = (s, p, other, n) => fwk.runPreFilterExtensionRemovePod(s, p, other, n);
    }
    const statuses = new Map(snapshot.list().map((n) => [n.name, fwk.runFilterPlugins(state, pod, n)]));
    const result = await new DefaultPreemption(undefined, handle).postFilter(state, pod, snapshot, statuses, new AbortController().signal);
    return { result, statuses, evicted: handle.evicted.map((e) => e.pod.metadata?.name).sort() };
  }

  test("evicts the lower-priority pod the preemptor's anti-affinity rejects, and only it, though cpu was never short", async () => {
    const snapshot = snapshotOf([node("n1")], [running("db", "n1", "1", 0, { labels: { app: "db" } }), running("other", "n1", "1", 0)]);
    const vip = podInfo("vip", { cpu: "1", priority: 100, spec: onHost("db") });
    const { result, statuses, evicted } = await preemptWithFramework(snapshot, vip, { extensions: true });
    assert.deepEqual(statuses.get("n1")?.reasons, [ERR_ANTI_AFFINITY]);
    assert.equal(result.nominatedNodeName, "n1");
    assert.deepEqual(evicted, ["db"]);
  });

  test("evicts a lower-priority pod whose own anti-affinity rejects the preemptor", async () => {
    const snapshot = snapshotOf([node("n1")], [running("guard", "n1", "1", 0, { spec: onHost("vip") }), running("other", "n1", "1", 0)]);
    const vip = podInfo("vip", { cpu: "1", priority: 100, labels: { app: "vip" } });
    const { result, statuses, evicted } = await preemptWithFramework(snapshot, vip, { extensions: true });
    assert.deepEqual(statuses.get("n1")?.reasons, [ERR_EXISTING_ANTI_AFFINITY]);
    assert.equal(result.nominatedNodeName, "n1");
    assert.deepEqual(evicted, ["guard"]);
  });

  test("without removePod the stale anti-affinity counts make the same node look hopeless", async () => {
    const snapshot = snapshotOf([node("n1")], [running("db", "n1", "1", 0, { labels: { app: "db" } })]);
    const vip = podInfo("vip", { cpu: "1", priority: 100, spec: onHost("db") });
    const { result, evicted } = await preemptWithFramework(snapshot, vip, { extensions: false });
    assert.equal(result.nominatedNodeName, undefined);
    assert.deepEqual(evicted, []);
  });

  test("never evicts a higher-priority pod to clear an anti-affinity conflict", async () => {
    const snapshot = snapshotOf([node("n1")], [running("db", "n1", "1", 1000, { labels: { app: "db" } })]);
    const vip = podInfo("vip", { cpu: "1", priority: 100, spec: onHost("db") });
    const { result, evicted } = await preemptWithFramework(snapshot, vip, { extensions: true });
    assert.equal(result.nominatedNodeName, undefined);
    assert.deepEqual(evicted, []);
  });
});
