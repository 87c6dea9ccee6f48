// Tests of `kpctl explain-schedule`: the NODE RESULT DETAILS table and where the scheduler is dialled.
import assert from "node:assert/strict";
import { test } from "node:test";
import { apiErrors, type schedulerV1 } from "@kubeplane/api";
import { FakeApi, fakeIo } from "../fake-client-test-support.js";
import { run } from "../run.js";
import type { SchedulerClient } from "../scheduler-client.js";
import { formatExplanation } from "./explain-schedule.js";

const EXPLANATION: schedulerV1.ExplainScheduleResponse = {
  pod: "default/web",
  profile: "default-scheduler",
  nodes: [
    { nodeName: "node-1", feasible: false, rejectedBy: "TaintToleration", reasons: ["node(s) had untolerated taint {dedicated: gpu}"], scores: {}, totalScore: 0 },
    { nodeName: "node-2", feasible: false, rejectedBy: "NodeResourcesFit", reasons: ["Insufficient cpu", "Insufficient memory"], scores: {}, totalScore: 0 },
    { nodeName: "node-3", feasible: true, rejectedBy: "", reasons: [], scores: { TaintToleration: 300, NodeResourcesFit: 73 }, totalScore: 373 },
    { nodeName: "node-4", feasible: true, rejectedBy: "", reasons: [], scores: { TaintToleration: 300, NodeResourcesFit: 12 }, totalScore: 312 },
  ],
  winner: "node-3",
  message: "2/4 nodes are feasible",
};

test("explain-schedule prints the rejecting filter and its reasons, per-plugin scores, and the winner", () => {
  assert.equal(
    formatExplanation(EXPLANATION),
    [
      "NODE     RESULT     DETAILS",
      "node-1   rejected   rejected by TaintToleration: node(s) had untolerated taint {dedicated: gpu}",
      "node-2   rejected   rejected by NodeResourcesFit: Insufficient cpu, Insufficient memory",
      "node-3   feasible   score 373 (NodeResourcesFit 73, TaintToleration 300)",
      "node-4   feasible   score 312 (NodeResourcesFit 12, TaintToleration 300)",
      "winner: node-3",
      "",
    ].join("\n"),
  );
});

test("explain-schedule says why nothing fits when there is no winner", () => {
  const none = { ...EXPLANATION, nodes: EXPLANATION.nodes.slice(0, 2), winner: "", message: "0/2 nodes are available: 1 Insufficient cpu, 1 node(s) had untolerated taint {dedicated: gpu}." };
  assert.match(formatExplanation(none), /\nno node fits: 0\/2 nodes are available: 1 Insufficient cpu, 1 node\(s\) had untolerated taint \{dedicated: gpu\}\.\n$/);
});

function fakeScheduler(dialled: string[], reply: () => Promise<schedulerV1.ExplainScheduleResponse>): (address: string) => SchedulerClient {
  return (address) => {
    dialled.push(address);
    return { explainSchedule: reply, close: () => undefined };
  };
}

test("explain-schedule dials --scheduler, else $KUBEPLANE_SCHEDULER, else 127.0.0.1:10259, in the -n namespace", async () => {
  const dialled: string[] = [];
  const asked: string[] = [];
  const connectScheduler = (address: string): SchedulerClient => ({
    ...fakeScheduler(dialled, () => Promise.resolve(EXPLANATION))(address),
    explainSchedule: (ns, name) => {
      asked.push(`${ns}/${name}`);
      return Promise.resolve(EXPLANATION);
    },
  });
  let io = fakeIo(new FakeApi(), { connectScheduler });
  assert.equal(await run(["explain-schedule", "web", "-n", "prod"], io), 0);
  assert.match(io.stdout.text, /winner: node-3\n$/);
  io = fakeIo(new FakeApi(), { connectScheduler, env: { KUBEPLANE_CONFIG: "/nonexistent/kpctl-test-config", KUBEPLANE_SCHEDULER: "sched:1" } });
  assert.equal(await run(["explain-schedule", "pod/web"], io), 0);
  assert.equal(await run(["explain-schedule", "web", "--scheduler", "other:2"], io), 0);
  assert.deepEqual(dialled, ["127.0.0.1:10259", "sched:1", "other:2"]);
  assert.deepEqual(asked, ["prod/web", "default/web", "default/web"]);
});

test("explain-schedule reports the scheduler's NotFound as kubectl words it", async () => {
  const io = fakeIo(new FakeApi(), { connectScheduler: fakeScheduler([], () => Promise.reject(apiErrors.notFound({ resource: "pods", name: "nope" }))) });
  assert.equal(await run(["explain-schedule", "nope"], io), 1);
  assert.equal(io.stderr.text, 'Error from server (NotFound): pods "nope" not found\n');
});
