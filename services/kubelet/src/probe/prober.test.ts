// Tests of the ProbeManager's Kubernetes semantics: thresholds, startup gating, liveness hold, worker replacement.

import assert from "node:assert/strict";
import { test } from "node:test";
import { coreV1Pod } from "@kubeplane/api";
import { waitFor } from "@kubeplane/testing";
import type { ExecSyncResult, RuntimeService } from "../runtime/types.js";
import { ProbeManager, type ProbeKind, type ProbeResult } from "./prober.js";

/** A fake runtime whose exec of ["check", name] exits 0 while healthy[name] is true, counting calls per container id and name. */
class FakeExec implements Pick<RuntimeService, "execSync"> {
  readonly healthy = new Map<string, boolean>();
  readonly calls = new Map<string, number>();

  execSync(containerId: string, cmd: string[]): Promise<ExecSyncResult> {
    const name = cmd[1] ?? "";
    const key = `${containerId}:${name}`;
    this.calls.set(key, (this.calls.get(key) ?? 0) + 1);
    return Promise.resolve({ stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), exitCode: this.healthy.get(name) ? 0 : 1 });
  }

  count(containerId: string, name: string): number {
    return this.calls.get(`${containerId}:${name}`) ?? 0;
  }
}

const probe = (name: string, fields: Partial<coreV1Pod.Probe> = {}) =>
  coreV1Pod.Probe.fromPartial({ exec: { command: ["check", name] }, periodSeconds: 1, ...fields });

function podWith(fields: Partial<coreV1Pod.Container>): coreV1Pod.Pod {
  return coreV1Pod.Pod.fromPartial({ metadata: { uid: "p1", name: "web", namespace: "default" }, spec: { containers: [{ name: "app", ...fields }] } });
}

/** A manager at 1 probe second = 10ms, logging every run and every change in order, and apart every failed run (Unhealthy). */
function manager(runtime: FakeExec): { m: ProbeManager; log: string[]; failed: string[] } {
  const log: string[] = [];
  const failed: string[] = [];
  const m = new ProbeManager({
    runtime,
    timeScale: 0.01,
    onChange: (uid, name, kind: ProbeKind, result: ProbeResult) => log.push(`change ${uid}/${name} ${kind} ${result}`),
    observe: (kind, result) => log.push(`run ${kind} ${result}`),
    failed: (pod, name, kind, output) => failed.push(`${pod.metadata!.name}/${name} ${kind} "${output}"`),
  });
  return { m, log, failed };
}

const fast = { intervalMs: 5, timeoutMs: 5000 };

test("readiness turns true after successThreshold successes and false after failureThreshold failures", async () => {
  const rt = new FakeExec();
  const { m, log } = manager(rt);
  try {
    m.ensure(podWith({ readinessProbe: probe("ready", { successThreshold: 2, failureThreshold: 2 }) }), "app", "c1", "10.0.0.5");
    assert.equal(m.isReady("p1", "app"), false);
    await waitFor(() => log.filter((l) => l === "run readiness failure").length >= 2, fast);
    assert.equal(m.isReady("p1", "app"), false, "failures do not change the initial not-ready");
    rt.healthy.set("ready", true);
    await waitFor(() => m.isReady("p1", "app"), fast);
    const changed = log.indexOf("change p1/app readiness success");
    assert.deepEqual(log.slice(changed - 2, changed), ["run readiness success", "run readiness success"]);
    assert.notEqual(log[changed - 3], "run readiness success", "ready exactly at the second success in a row");

    rt.healthy.set("ready", false);
    await waitFor(() => !m.isReady("p1", "app"), fast);
    const lost = log.indexOf("change p1/app readiness failure");
    assert.deepEqual(log.slice(lost - 2, lost), ["run readiness failure", "run readiness failure"]);
    assert.notEqual(log[lost - 3], "run readiness failure", "not ready exactly at the second failure in a row");
  } finally {
    m.stop();
  }
});

test("a liveness failure streak reports once and stops probing that container; each failed run is told (Unhealthy)", async () => {
  const rt = new FakeExec();
  rt.healthy.set("ready", true);
  const { m, log, failed } = manager(rt);
  try {
    m.ensure(podWith({ livenessProbe: probe("live", { failureThreshold: 3 }), readinessProbe: probe("ready") }), "app", "c1", "10.0.0.5");
    await waitFor(() => m.livenessFailed("p1", "app"), fast);
    assert.equal(rt.count("c1", "live"), 3);
    const readinessRuns = rt.count("c1", "ready");
    await waitFor(() => rt.count("c1", "ready") >= readinessRuns + 5, fast);
    assert.equal(rt.count("c1", "live"), 3, "on hold: no liveness runs after the failure was reported");
    assert.deepEqual(log.filter((l) => l.startsWith("change") && l.includes("liveness")), ["change p1/app liveness failure"]);
    assert.deepEqual(failed, ['web/app liveness ""', 'web/app liveness ""', 'web/app liveness ""'], "every failed run, none of the successful readiness runs");
    assert.equal(m.failedProbe("p1", "app"), "liveness");
  } finally {
    m.stop();
  }
});

test("the startup probe gates liveness and readiness until it succeeds", async () => {
  const rt = new FakeExec();
  rt.healthy.set("live", true);
  rt.healthy.set("ready", true);
  const { m, log } = manager(rt);
  try {
    const pod = podWith({ startupProbe: probe("start", { failureThreshold: 100 }), livenessProbe: probe("live"), readinessProbe: probe("ready") });
    m.ensure(pod, "app", "c1", "10.0.0.5");
    await waitFor(() => rt.count("c1", "start") >= 3, fast);
    assert.equal(m.startupPassed("p1", "app"), false);
    assert.equal(m.isReady("p1", "app"), false);
    assert.equal(rt.count("c1", "live") + rt.count("c1", "ready"), 0);

    rt.healthy.set("start", true);
    await waitFor(() => m.isReady("p1", "app"), fast);
    assert.equal(m.startupPassed("p1", "app"), true);
    const startRuns = rt.count("c1", "start");
    await waitFor(() => rt.count("c1", "live") >= 3, fast);
    assert.equal(rt.count("c1", "start"), startRuns, "startup stops once passed");
    assert.ok(log.indexOf("change p1/app startup success") < log.indexOf("run readiness success"));
  } finally {
    m.stop();
  }
});

test("a failed startup probe asks for a restart like a liveness failure", async () => {
  const rt = new FakeExec();
  const { m, log } = manager(rt);
  try {
    m.ensure(podWith({ startupProbe: probe("start", { failureThreshold: 2 }) }), "app", "c1", "10.0.0.5");
    await waitFor(() => m.livenessFailed("p1", "app"), fast);
    assert.equal(m.failedProbe("p1", "app"), "startup");
    assert.deepEqual(log.filter((l) => l.startsWith("change")), ["change p1/app startup failure"]);
  } finally {
    m.stop();
  }
});

test("without probes a container is ready and started once ensured, and forgotten when removed", () => {
  const { m } = manager(new FakeExec());
  assert.equal(m.isReady("p1", "app"), false);
  m.ensure(podWith({}), "app", "c1", "10.0.0.5");
  assert.equal(m.isReady("p1", "app"), true);
  assert.equal(m.startupPassed("p1", "app"), true);
  m.removePod("p1");
  assert.equal(m.isReady("p1", "app"), false);
  m.stop();
});

test("ensure keeps workers for the same container id and replaces them for a new one", async () => {
  const rt = new FakeExec();
  const { m } = manager(rt);
  try {
    const pod = podWith({ readinessProbe: probe("ready") });
    m.ensure(pod, "app", "c1", "10.0.0.5");
    await waitFor(() => rt.count("c1", "ready") >= 2, fast);
    m.ensure(pod, "app", "c1", "10.0.0.5");
    m.ensure(pod, "app", "c2", "10.0.0.5");
    const oldRuns = rt.count("c1", "ready");
    await waitFor(() => rt.count("c2", "ready") >= 5, fast);
    assert.equal(rt.count("c1", "ready"), oldRuns, "the old container's worker stopped");
    m.removeContainer("p1", "app");
    const newRuns = rt.count("c2", "ready");
    m.ensure(podWith({ readinessProbe: probe("other") }), "app", "c3", "10.0.0.5");
    await waitFor(() => rt.count("c3", "other") >= 3, fast);
    assert.equal(rt.count("c2", "ready"), newRuns);
  } finally {
    m.stop();
  }
});

test("initialDelaySeconds postpones the first run from the container's start", async () => {
  const rt = new FakeExec();
  const { m } = manager(rt);
  try {
    const started = Date.now();
    m.ensure(podWith({ readinessProbe: probe("ready", { initialDelaySeconds: 10 }) }), "app", "c1", "10.0.0.5", started);
    await waitFor(() => rt.count("c1", "ready") >= 1, fast);
    assert.ok(Date.now() - started >= 95, `first run after ${Date.now() - started}ms`);
  } finally {
    m.stop();
  }
});
