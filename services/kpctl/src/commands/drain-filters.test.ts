// Unit tests of drain's pod filters: DaemonSet, unreplicated, local storage and mirror pods, with kubectl's messages.
import assert from "node:assert/strict";
import { test } from "node:test";
import { planDrain, type DrainPod } from "./drain-filters.js";

const pod = (name: string, opts: { owner?: string; emptyDir?: boolean; mirror?: boolean; phase?: string } = {}): DrainPod => ({
  metadata: {
    name,
    namespace: "default",
    ...(opts.mirror ? { annotations: { "kubernetes.io/config.mirror": "x" } } : {}),
    ...(opts.owner ? { ownerReferences: [{ kind: opts.owner, name: "o", controller: true }] } : {}),
  },
  spec: { volumes: opts.emptyDir ? [{ emptyDir: {} }] : [] },
  status: { phase: opts.phase ?? "Running" },
});
const names = (pods: DrainPod[]): string[] => pods.map((p) => p.metadata!.name!);

test("replicated pods are evicted; mirror pods skipped silently; finished pods evicted whatever they are", () => {
  const plan = planDrain([pod("a", { owner: "ReplicaSet" }), pod("m", { mirror: true }), pod("done", { phase: "Succeeded" })], { ignoreDaemonSets: false, deleteEmptyDirData: false, force: false });
  assert.deepEqual([names(plan.evict), plan.warnings, plan.errors], [["a", "done"], [], []]);
});

test("DaemonSet, unreplicated and emptyDir pods stop the drain unless their flag is given", () => {
  const pods = [pod("ds", { owner: "DaemonSet" }), pod("bare"), pod("cache", { owner: "ReplicaSet", emptyDir: true })];
  const refused = planDrain(pods, { ignoreDaemonSets: false, deleteEmptyDirData: false, force: false });
  assert.deepEqual(refused.errors, [
    "cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): default/ds",
    "cannot delete Pods that declare no controller (use --force to override): default/bare",
    "cannot delete Pods with local storage (use --delete-emptydir-data to override): default/cache",
  ]);
  const allowed = planDrain(pods, { ignoreDaemonSets: true, deleteEmptyDirData: true, force: true });
  assert.deepEqual([names(allowed.evict), allowed.errors], [["bare", "cache"], []]);
  assert.deepEqual(allowed.warnings, [
    "ignoring DaemonSet-managed Pods: default/ds",
    "deleting Pods that declare no controller: default/bare",
    "deleting Pods with local storage: default/cache",
  ]);
});
