// Unit tests for filtering with nominated pods (RunFilterPluginsWithNominatedPods): priority rule and the two filter runs.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { NodeResourcesFit } from "../plugins/node-resources-fit.js";
import { makeNode, makePod, podInfo } from "../plugins/test-support.js";
import { Framework, type FrameworkPlugins } from "./framework.js";
import { Code, CycleState, SUCCESS, unschedulable, type FilterPlugin, type NodeInfo, type PodInfo } from "./interface.js";
import { nodeInfoOf } from "./node-info.js";
import { PodNominator } from "./nominator.js";

function plugins(p: Partial<FrameworkPlugins>): FrameworkPlugins {
  return { preFilter: [], filter: [], postFilter: [], preScore: [], score: [], reserve: [], bind: [], ...p };
}

function fitFramework(nominator: PodNominator): Framework {
  const fit = new NodeResourcesFit(undefined);
  return new Framework({ profileName: "p", plugins: plugins({ preFilter: [fit], filter: [fit] }), nominator });
}

function filter(fwk: Framework, pod: PodInfo, node: NodeInfo): Code {
  const state = new CycleState();
  assert.equal(fwk.runPreFilterPlugins(state, pod, { list: () => [node], get: () => node, numNodes: 1, havePodsWithAffinity: () => [], havePodsWithRequiredAntiAffinity: () => [] }).status.code, Code.Success);
  return fwk.runFilterPluginsWithNominatedPods(state, pod, node).code;
}

describe("filtering with nominated pods", () => {
  const n1 = (): NodeInfo => nodeInfoOf(makeNode("n1", { cpu: "4" }));

  it("keeps the room of a higher-priority nominated pod from a lower-priority pod", () => {
    const nominator = new PodNominator();
    nominator.add(makePod("vip", { cpu: "3", priority: 100 }), "n1");
    const fwk = fitFramework(nominator);
    assert.equal(filter(fwk, podInfo("low", { cpu: "2", priority: 10 }), n1()), Code.Unschedulable);
    assert.equal(filter(fwk, podInfo("small", { cpu: "1", priority: 10 }), n1()), Code.Success);
  });

  it("counts nominated pods of equal priority but not of lower priority, nor the pod itself", () => {
    const nominator = new PodNominator();
    nominator.add(makePod("peer", { cpu: "3", priority: 50 }), "n1");
    nominator.add(makePod("me", { cpu: "3", priority: 50 }), "n1");
    const fwk = fitFramework(nominator);
    assert.equal(filter(fwk, podInfo("other", { cpu: "2", priority: 50 }), n1()), Code.Unschedulable);
    assert.equal(filter(fwk, podInfo("boss", { cpu: "2", priority: 60 }), n1()), Code.Success);
    nominator.delete(makePod("peer"));
    assert.equal(filter(fwk, podInfo("me", { cpu: "3", priority: 50 }), n1()), Code.Success);
  });

  it("runs the filters twice only when the node has nominated pods to add, the second time without them", () => {
    const seen: number[] = [];
    const counting: FilterPlugin = { name: "Counting", filter: (_s, _p, n) => (seen.push(n.pods.length), SUCCESS) };
    const nominator = new PodNominator();
    const fwk = new Framework({ profileName: "p", plugins: plugins({ filter: [counting] }), nominator });
    const pod = podInfo("p", { priority: 1 });
    assert.equal(fwk.runFilterPluginsWithNominatedPods(new CycleState(), pod, n1()).code, Code.Success);
    assert.deepEqual(seen, [0]);
    nominator.add(makePod("vip", { priority: 5 }), "n1");
    seen.length = 0;
    assert.equal(fwk.runFilterPluginsWithNominatedPods(new CycleState(), pod, n1()).code, Code.Success);
    assert.deepEqual(seen, [1, 0]);
  });

  it("fails when the run without the nominated pods fails", () => {
    // Passes only with a pod on the node: the nominated pod may never arrive, so the node is rejected.
    const needsCompany: FilterPlugin = { name: "NeedsCompany", filter: (_s, _p, n) => (n.pods.length > 0 ? SUCCESS : unschedulable("lonely")) };
    const nominator = new PodNominator();
    nominator.add(makePod("vip", { priority: 5 }), "n1");
    const fwk = new Framework({ profileName: "p", plugins: plugins({ filter: [needsCompany] }), nominator });
    assert.deepEqual(fwk.runFilterPluginsWithNominatedPods(new CycleState(), podInfo("p"), n1()).reasons, ["lonely"]);
  });
});
