// Integration test of PodTopologySpread on a real apiserver: skew across zones checked after every binding.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { waitFor } from "@kubeplane/testing";
import type { RunningScheduler } from "../src/index.js";
import { createNamespace, node, nodes, pod, pods, PodHistory, startCluster, startTestScheduler, type Cluster, type Pod } from "./support.js";

const ZONE = "topology.kubernetes.io/zone";

describe("topology spread on a real apiserver", () => {
  let cluster: Cluster;
  let sched: RunningScheduler;

  before(async () => {
    cluster = await startCluster();
    sched = await startTestScheduler(cluster);
  });

  after(async () => {
    await sched?.stop();
    await cluster?.stop();
  });

  const constraint = (app: string) => [{ maxSkew: 1, topologyKey: ZONE, whenUnsatisfiable: "DoNotSchedule", labelSelector: { matchLabels: { app } } }];
  const zoneOf = new Map<string, string>();

  /** Replays bindings in order and fails at the first one after which zone counts differ by more than 1. */
  function assertSkewAfterEach(bindings: readonly { name: string; node: string }[], what: string): number[] {
    const perZone = new Map<string, number>([["zone-a", 0], ["zone-b", 0], ["zone-c", 0]]);
    const steps: string[] = [];
    for (const { name, node: nodeName } of bindings) {
      const zone = zoneOf.get(nodeName);
      assert.ok(zone, `${name} bound to ${nodeName}, not one of the zoned nodes`);
      perZone.set(zone, perZone.get(zone)! + 1);
      const counts = [...perZone.values()];
      steps.push(`${name}->${nodeName} [${counts.join(",")}]`);
      // Below 3 pods a zone still at 0 is the minimum: the skew is max − min over all zones.
      assert.ok(Math.max(...counts) - Math.min(...counts) <= 1, `${what}: skew above 1 after ${name}: ${steps.join("; ")}`);
    }
    return [...perZone.values()];
  }

  before(async () => {
    const c = cluster.client;
    for (const zone of ["zone-a", "zone-b", "zone-c"]) {
      for (const i of [1, 2]) {
        const name = `${zone}-${i}`;
        zoneOf.set(name, zone);
        // zone-a's nodes are far larger: resource scoring alone would stack every pod there.
        await c.create(nodes, node(name, { cpu: zone === "zone-a" ? "32" : "4", labels: { [ZONE]: zone } }));
      }
    }
  });

  it("9 pods created one after another with maxSkew 1 over 3 zones keep the skew ≤ 1 after every binding", async () => {
    const c = cluster.client;
    const ns = "spread-serial";
    await createNamespace(c, ns);
    const history = await PodHistory.start(c, ns);
    try {
      for (let i = 0; i < 9; i++) {
        const name = `serial-${i}`;
        await c.create(pods, pod(ns, name, "500m", { topologySpreadConstraints: constraint("serial") }, { app: "serial" }));
        await waitFor(() => {
          history.check();
          return history.bindings().some((b) => b.name === name);
        }, { message: `${name} bound in the pod watch` });
        assertSkewAfterEach(history.bindings(), "watch history");
      }
      assert.deepEqual(assertSkewAfterEach(history.bindings(), "watch history"), [3, 3, 3]);
      assert.deepEqual(history.rebound(), []);
    } finally {
      await history.stop();
    }
  });

  it("a burst of 9 pods with maxSkew 1 over 3 zones: every decision keeps the skew ≤ 1 and the zones end 3/3/3", async () => {
    const c = cluster.client;
    const ns = "spread-burst";
    await createNamespace(c, ns);
    // Bindings run in the background, so the apiserver may commit them out of decision order;
    // the decisions themselves are recorded where the scheduler assumes a pod on its node.
    const decisions: { name: string; node: string }[] = [];
    const cache = sched.scheduler.cache;
    const assume = cache.assumePod.bind(cache);
    cache.assumePod = (podInfo, nodeName) => {
      if (podInfo.pod.metadata?.namespace === ns) decisions.push({ name: podInfo.pod.metadata.name, node: nodeName });
      return assume(podInfo, nodeName);
    };
    const history = await PodHistory.start(c, ns);
    try {
      const names = Array.from({ length: 9 }, (_v, i) => `burst-${i}`);
      // Created at once, so the scheduler must count pods it assumed but has not yet seen bound.
      await Promise.all(names.map((name) => c.create(pods, pod(ns, name, "500m", { topologySpreadConstraints: constraint("burst") }, { app: "burst" }))));
      await waitFor(() => {
        history.check();
        return history.bindings().length >= names.length;
      }, { timeoutMs: 20_000, message: "9 bindings in the pod watch" });
      assert.deepEqual(assertSkewAfterEach(decisions, "scheduling decisions"), [3, 3, 3]);
      const bound = history.bindings();
      assert.deepEqual(
        new Map(bound.map((b) => [b.name, b.node])),
        new Map(decisions.map((d) => [d.name, d.node])),
        "every pod is bound where the scheduler decided",
      );
      assert.deepEqual(history.rebound(), []);
      const listed = (await c.list(pods, { namespace: ns })).items as Pod[];
      assert.equal(listed.filter((p) => p.spec?.nodeName).length, 9);
    } finally {
      cache.assumePod = assume;
      await history.stop();
    }
  });
});
