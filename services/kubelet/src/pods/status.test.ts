// Unit tests of pod status computation: phase rules, container states and reasons, conditions.
import assert from "node:assert/strict";
import { test } from "node:test";
import { coreV1Pod } from "@kubeplane/api";
import type { ContainerStatus, PodSandboxStatus } from "../runtime/types.js";
import type { PodRuntimeState } from "./runtime-state.js";
import { computePodStatus, qosClass, statusChanged, type StatusContext } from "./status.js";

const S = 1e9;

function pod(restartPolicy: string, containers: string[], init: string[] = []): coreV1Pod.Pod {
  return coreV1Pod.Pod.fromPartial({
    metadata: { name: "p", namespace: "default", uid: "u1" },
    spec: {
      restartPolicy,
      containers: containers.map((name) => ({ name, image: "busybox" })),
      initContainers: init.map((name) => ({ name, image: "busybox" })),
    },
  });
}

function sandbox(): PodSandboxStatus {
  return { id: "sb", metadata: { name: "p", namespace: "default", uid: "u1", attempt: 0 }, state: "ready", createdAt: 1, ip: "10.88.0.5", additionalIps: [], labels: {}, annotations: {} };
}

function container(name: string, state: ContainerStatus["state"], opts: { exitCode?: number; attempt?: number; createdAt?: number; reason?: string } = {}): ContainerStatus {
  const attempt = opts.attempt ?? 0;
  return {
    id: `${name}-${attempt}`,
    metadata: { name, attempt },
    state,
    createdAt: opts.createdAt ?? attempt + 1,
    startedAt: 10 * S,
    finishedAt: state === "exited" ? 20 * S : 0,
    exitCode: opts.exitCode ?? 0,
    reason: opts.reason ?? "",
    message: "",
    image: "busybox",
    imageRef: "sha256:abc",
    logPath: "",
    labels: {},
    annotations: { "io.kubernetes.container.restartCount": String(attempt) },
  };
}

function ctx(over: Partial<StatusContext> = {}): StatusContext {
  return { hostIp: "192.0.2.1", runtimeName: "containerd", waiting: new Map(), isReady: () => true, startupPassed: () => true, now: () => new Date("2026-01-01T00:00:00Z"), ...over };
}

function state(containers: ContainerStatus[]): PodRuntimeState {
  return { sandboxes: [sandbox()], containers: [...containers].sort((a, b) => b.createdAt - a.createdAt) };
}

test("a running container makes the pod Running and Ready with its IP and container ID", () => {
  const s = computePodStatus(pod("Always", ["app"]), state([container("app", "running")]), ctx());
  assert.equal(s.phase, "Running");
  assert.equal(s.podIp, "10.88.0.5");
  assert.equal(s.hostIp, "192.0.2.1");
  assert.equal(s.containerStatuses[0]!.containerId, "containerd://app-0");
  assert.ok(s.containerStatuses[0]!.state?.running);
  assert.equal(s.conditions.find((c) => c.type === "Ready")?.status, "True");
});

test("readiness false keeps the pod Running but not Ready, naming the container", () => {
  const s = computePodStatus(pod("Always", ["app"]), state([container("app", "running")]), ctx({ isReady: () => false }));
  assert.equal(s.phase, "Running");
  const ready = s.conditions.find((c) => c.type === "Ready")!;
  assert.equal(ready.status, "False");
  assert.equal(ready.reason, "ContainersNotReady");
  assert.match(ready.message, /\[app\]/);
});

test("a crash-looping container shows CrashLoopBackOff, its last termination and restart count; the pod stays Running", () => {
  const st = state([container("app", "exited", { exitCode: 1, attempt: 0 }), container("app", "exited", { exitCode: 1, attempt: 1 })]);
  const waiting = new Map([["app", { reason: "CrashLoopBackOff", message: "back-off 20s restarting failed container" }]]);
  const s = computePodStatus(pod("Always", ["app"]), st, ctx({ waiting }));
  const c = s.containerStatuses[0]!;
  assert.equal(c.state?.waiting?.reason, "CrashLoopBackOff");
  assert.equal(c.lastState?.terminated?.exitCode, 1);
  assert.equal(c.lastState?.terminated?.reason, "Error");
  assert.equal(c.restartCount, 1);
  assert.equal(s.phase, "Running");
});

test("phases: all exited 0 with Never → Succeeded; a failure with Never → Failed; OOMKilled reported", () => {
  assert.equal(computePodStatus(pod("Never", ["a", "b"]), state([container("a", "exited"), container("b", "exited")]), ctx()).phase, "Succeeded");
  const failed = computePodStatus(pod("Never", ["a"]), state([container("a", "exited", { exitCode: 137, reason: "OOMKilled" })]), ctx());
  assert.equal(failed.phase, "Failed");
  assert.equal(failed.containerStatuses[0]!.state?.terminated?.reason, "OOMKilled");
  assert.equal(computePodStatus(pod("OnFailure", ["a"]), state([container("a", "exited")]), ctx()).phase, "Succeeded");
});

test("init containers: Pending and PodInitializing until they succeed, in order", () => {
  const p = pod("Always", ["app"], ["init1"]);
  const s = computePodStatus(p, state([container("init1", "running")]), ctx());
  assert.equal(s.phase, "Pending");
  assert.equal(s.containerStatuses[0]!.state?.waiting?.reason, "PodInitializing");
  assert.equal(s.conditions.find((c) => c.type === "Initialized")?.status, "False");
  const done = computePodStatus(p, state([container("init1", "exited"), container("app", "running", { createdAt: 5 })]), ctx());
  assert.equal(done.phase, "Running");
  assert.equal(done.conditions.find((c) => c.type === "Initialized")?.status, "True");
  assert.equal(done.initContainerStatuses[0]!.ready, true);
});

test("an image pull failure is a waiting reason and keeps the pod Pending", () => {
  const waiting = new Map([["app", { reason: "ErrImagePull", message: "not found" }]]);
  const s = computePodStatus(pod("Always", ["app"]), state([]), ctx({ waiting }));
  assert.equal(s.phase, "Pending");
  assert.equal(s.containerStatuses[0]!.state?.waiting?.reason, "ErrImagePull");
});

test("transition times are kept while a condition holds, and statusChanged ignores codec defaults", () => {
  const p = pod("Always", ["app"]);
  const first = computePodStatus(p, state([container("app", "running")]), ctx());
  const later = computePodStatus({ ...p, status: first }, state([container("app", "running")]), ctx({ now: () => new Date("2026-01-02T00:00:00Z") }));
  assert.deepEqual(later.conditions.map((c) => c.lastTransitionTime), first.conditions.map((c) => c.lastTransitionTime));
  assert.equal(statusChanged(first, later), false);
  const roundTripped = coreV1Pod.PodStatus.decode(coreV1Pod.PodStatus.encode(first).finish());
  assert.equal(statusChanged(roundTripped, first), false);
  const notReady = computePodStatus({ ...p, status: first }, state([container("app", "running")]), ctx({ isReady: () => false }));
  assert.equal(statusChanged(first, notReady), true);
});

test("QoS classes", () => {
  const q = (resources: coreV1Pod.Container["resources"]): string =>
    qosClass(coreV1Pod.Pod.fromPartial({ spec: { containers: [{ name: "a", image: "x", ...(resources ? { resources } : {}) }] } }));
  assert.equal(q(undefined), "BestEffort");
  assert.equal(q({ limits: { cpu: "1", memory: "1Gi" }, requests: { cpu: "1", memory: "1Gi" }, claims: [] }), "Guaranteed");
  assert.equal(q({ limits: {}, requests: { cpu: "100m" }, claims: [] }), "Burstable");
});

test("a finished pod whose sandbox is stopped keeps the IP it ran with", () => {
  const p = pod("Never", ["a"]);
  const ran = computePodStatus(p, state([container("a", "exited")]), ctx());
  assert.equal(ran.podIp, "10.88.0.5");
  const stopped: PodRuntimeState = { sandboxes: [{ ...sandbox(), state: "notready", ip: "" }], containers: [container("a", "exited")] };
  const after = computePodStatus({ ...p, status: ran }, stopped, ctx());
  assert.equal(after.phase, "Succeeded");
  assert.equal(after.podIp, "10.88.0.5");
  assert.deepEqual(after.podIps, [{ ip: "10.88.0.5" }]);
});
