// Unit tests of where a DaemonSet's pods belong: what to create and delete, and the rolling update's deletions.
import assert from "node:assert/strict";
import { test } from "node:test";
import { appsV1DaemonSet, coreV1Node, coreV1Pod } from "@kubeplane/api";
import { CONTROLLER_REVISION_HASH } from "../util/controller-history.js";
import { planNodes, podsToCreateAndDelete, rollingUpdateDeletions } from "./node-plan.js";

const now = new Date("2026-01-01T00:10:00Z");
const ds = (maxUnavailable = ""): appsV1DaemonSet.DaemonSet =>
  appsV1DaemonSet.DaemonSet.fromPartial({
    metadata: { name: "agent", namespace: "kube-system" },
    spec: { template: { spec: { containers: [{ name: "c", image: "i" }] } }, updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable } } },
  });
const node = (name: string, labels: Record<string, string> = {}): coreV1Node.Node => coreV1Node.Node.fromPartial({ metadata: { name, labels } });
const pod = (name: string, nodeName: string, opts: { hash?: string; ready?: boolean; created?: string; deleting?: boolean; phase?: string } = {}): coreV1Pod.Pod =>
  coreV1Pod.Pod.fromPartial({
    metadata: {
      name,
      uid: name,
      labels: { [CONTROLLER_REVISION_HASH]: opts.hash ?? "new" },
      creationTimestamp: opts.created ?? "2026-01-01T00:00:00Z",
      deletionTimestamp: opts.deleting ? "2026-01-01T00:09:00Z" : "",
    },
    spec: { nodeName },
    status: { phase: opts.phase ?? "Running", conditions: opts.ready === false ? [] : [{ type: "Ready", status: "True", lastTransitionTime: "2026-01-01T00:01:00Z" }] },
  });

test("creates a pod on each eligible node without one and deletes duplicates, keeping the oldest", () => {
  const older = pod("a-1", "n1", { created: "2026-01-01T00:00:00Z" });
  const newer = pod("a-2", "n1", { created: "2026-01-01T00:05:00Z" });
  const plans = planNodes(ds(), [newer, older], [node("n1"), node("n2")]);
  assert.equal(plans.find((p) => p.node === "n1")?.pod, older);
  const { create, remove } = podsToCreateAndDelete(plans, [newer, older]);
  assert.deepEqual(create, ["n2"]);
  assert.deepEqual(remove, [newer]);
});

test("deletes pods on nodes that are gone and failed pods, but not pods already being deleted", () => {
  const orphan = pod("a-1", "gone");
  const failed = pod("a-2", "n1", { phase: "Failed" });
  const leaving = pod("a-3", "n1", { deleting: true });
  const pods = [orphan, failed, leaving];
  const { create, remove } = podsToCreateAndDelete(planNodes(ds(), pods, [node("n1")]), pods);
  assert.deepEqual(create, ["n1"]);
  assert.deepEqual(remove, [orphan, failed]);
});

test("a rolling update deletes old pods at most maxUnavailable at a time, unavailable old ones first", () => {
  const pods = [pod("a", "n1", { hash: "old" }), pod("b", "n2", { hash: "old" }), pod("c", "n3", { hash: "old", ready: false }), pod("d", "n4")];
  const nodes = [node("n1"), node("n2"), node("n3"), node("n4")];
  const plans = planNodes(ds("2"), pods, nodes);
  // n3's unready old pod goes at no cost and uses one of the two unavailable slots.
  assert.deepEqual(rollingUpdateDeletions(ds("2"), plans, "new", now).map((p) => p.metadata!.name), ["c", "a"]);
  assert.deepEqual(rollingUpdateDeletions(ds("1"), plans, "new", now).map((p) => p.metadata!.name), ["c"]);
  assert.deepEqual(rollingUpdateDeletions(ds("1"), planNodes(ds("1"), [pods[3]!], [node("n4")]), "new", now), []);
});
