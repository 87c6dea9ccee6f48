// Unit tests for per-plugin latency: scheduler_plugin_execution_duration_seconds, recorded only in sampled cycles.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Registry } from "prom-client";
import { waitFor } from "@kubeplane/testing";
import { schedulerMetrics } from "../metrics.js";
import { makeNode, makePod } from "../plugins/test-support.js";
import { Framework, type ExtensionPoint } from "./framework.js";
import { Code, CycleState, SUCCESS, unschedulable, type FilterPlugin, type Status } from "./interface.js";
import { nodeInfoOf } from "./node-info.js";
import { newPodInfo } from "./pod-info.js";
import { defaultConfiguration } from "./profile.js";
import { Scheduler } from "../scheduler.js";

const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

describe("plugin execution metrics", () => {
  const ok: FilterPlugin = { name: "Ok", filter: () => SUCCESS };
  const no: FilterPlugin = { name: "No", filter: () => unschedulable("no") };
  const seen: Array<[string, ExtensionPoint, Code]> = [];
  const fwk = new Framework({
    profileName: "p",
    plugins: { preFilter: [], filter: [ok, no], postFilter: [], preScore: [], score: [], reserve: [], bind: [] },
    observePlugin: (plugin: string, point: ExtensionPoint, status: Status) => void seen.push([plugin, point, status.code]),
  });
  const node = nodeInfoOf(makeNode("n1"));
  const pod = newPodInfo(makePod("p"));

  it("times each plugin with its status only when the cycle is sampled, Filter summed over the cycle's nodes", () => {
    seen.length = 0;
    const unsampled = new CycleState();
    fwk.runFilterPlugins(unsampled, pod, node);
    fwk.flushFilterTimings(unsampled);
    assert.deepEqual(seen, []);
    const sampled = new CycleState();
    sampled.recordPluginMetrics = true;
    fwk.runFilterPlugins(sampled, pod, node);
    fwk.runFilterPlugins(sampled, pod, nodeInfoOf(makeNode("n2")));
    assert.deepEqual(seen, [], "nothing observed before the cycle's filter phase ends");
    fwk.flushFilterTimings(sampled);
    assert.deepEqual(seen, [["Ok", "Filter", Code.Success], ["No", "Filter", Code.Unschedulable]]);
    fwk.flushFilterTimings(sampled);
    assert.equal(seen.length, 2, "a flush clears the sums");
  });

  async function scheduleOne(percent: number): Promise<Registry> {
    const registry = new Registry();
    const client = { bind: async () => undefined, bindPods: async (b: readonly unknown[]) => b.map(() => undefined), create: async (_k: unknown, e: unknown) => e, updateStatus: async (_k: unknown, p: unknown) => p } as never;
    const s = new Scheduler({ client, configuration: defaultConfiguration(), logger: quiet, metrics: schedulerMetrics(registry), pluginMetricsSamplePercent: percent });
    s.onNodeAdd(makeNode("n1"));
    s.onNodeAdd(makeNode("n2"));
    s.onPodAdd(makePod("p", { cpu: "1" }));
    const stop = new AbortController();
    const running = s.run(stop.signal);
    try {
      await waitFor(() => (s.scheduledCount === 1 ? true : undefined), { message: "bound" });
    } finally {
      stop.abort();
      await running;
    }
    return registry;
  }

  async function count(registry: Registry, labels: Record<string, string>): Promise<number> {
    const values = (await registry.getSingleMetric("scheduler_plugin_execution_duration_seconds")!.get()).values as Array<{ metricName?: string; labels: Record<string, string | number>; value: number }>;
    return values
      .filter((v) => v.metricName === "scheduler_plugin_execution_duration_seconds_count" && Object.entries(labels).every(([k, want]) => v.labels[k] === want))
      .reduce((sum, v) => sum + v.value, 0);
  }

  it("a sampled scheduling cycle records every plugin that ran, by extension point", async () => {
    const registry = await scheduleOne(100);
    assert.equal(await count(registry, { plugin: "NodeResourcesFit", extension_point: "Filter", status: "Success" }), 1, "one per cycle, summed over both nodes");
    assert.equal(await count(registry, { plugin: "NodeResourcesFit", extension_point: "PreFilter" }), 1);
    assert.equal(await count(registry, { plugin: "ImageLocality", extension_point: "Score" }), 1);
    assert.equal(await count(registry, { plugin: "DefaultBinder", extension_point: "Bind", status: "Success" }), 1);
  });

  it("an unsampled cycle records none", async () => {
    assert.equal(await count(await scheduleOne(0), {}), 0);
  });
});
