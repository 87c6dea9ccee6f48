// Tests of `kpctl rollout status`: kubectl's lines, the terminal progress bar, the deadline and the timeout.
import assert from "node:assert/strict";
import { test } from "node:test";
import { kindFor, type KindInfo } from "@kubeplane/api";
import type { JsonObject } from "@kubeplane/client";
import { Capture, FakeApi, fakeIo } from "../fake-client-test-support.js";
import { run } from "../run.js";
import { deploymentProgress, progressBar } from "./rollout-progress.js";

const deployments = kindFor("apps/v1", "Deployment") as KindInfo;

interface Counts {
  updated: number;
  replicas: number;
  available: number;
  generation?: number;
  observed?: number;
  conditions?: unknown[];
}

function web({ updated, replicas, available, generation = 2, observed = 2, conditions = [] }: Counts): JsonObject {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web", namespace: "default", generation, annotations: { "deployment.kubernetes.io/revision": "2" } },
    spec: { replicas: 10 },
    status: { observedGeneration: observed, replicas, updatedReplicas: updated, availableReplicas: available, conditions },
  };
}

/** A rolling update of 10 replicas as the controller would report it, ending rolled out. */
function rollingUpdate(api: FakeApi): void {
  api.seed(deployments, web({ updated: 2, replicas: 12, available: 8 }));
  for (const counts of [
    { updated: 2, replicas: 12, available: 8 },
    { updated: 10, replicas: 11, available: 9 },
    { updated: 10, replicas: 10, available: 8 },
    { updated: 10, replicas: 10, available: 10 },
  ]) {
    api.watchEvents.push({ type: "MODIFIED", object: { ...web(counts), metadata: { name: "web", namespace: "default", generation: 2, resourceVersion: "200" } }, revision: 200 });
  }
}

test("status prints kubectl's waiting lines once each, then successfully rolled out, and exits 0", async () => {
  const api = new FakeApi();
  rollingUpdate(api);
  const io = fakeIo(api);
  assert.equal(await run(["rollout", "status", "deployment/web"], io), 0);
  assert.equal(
    io.stdout.text,
    [
      'Waiting for deployment "web" rollout to finish: 2 out of 10 new replicas have been updated...',
      'Waiting for deployment "web" rollout to finish: 1 old replicas are pending termination...',
      'Waiting for deployment "web" rollout to finish: 8 of 10 updated replicas are available...',
      'deployment "web" successfully rolled out',
      "",
    ].join("\n"),
  );
  assert.equal(io.stderr.text, "");
  assert.match(api.calls.at(-1) ?? "", /^watch from \d+$/);
});

test("status on a terminal redraws one progress bar in place instead of printing lines", async () => {
  const api = new FakeApi();
  rollingUpdate(api);
  const stdout = Object.assign(new Capture(), { isTTY: true });
  const io = fakeIo(api, { stdout });
  assert.equal(await run(["rollout", "status", "deploy", "web"], io), 0);
  const out = stdout.text;
  assert.doesNotMatch(out, /Waiting for deployment/);
  assert.equal(out.split("\n").length, 2, "only the final line ends with a newline");
  assert.ok(out.includes(`\r\x1b[2Kdeployment "web" [${"█".repeat(6)}${"░".repeat(24)}] 2/10 updated, 8/10 available, 10 old pending`));
  assert.ok(out.includes(`\r\x1b[2Kdeployment "web" [${"█".repeat(24)}${"▒".repeat(6)}] 10/10 updated, 8/10 available`));
  assert.ok(out.endsWith(`\r\x1b[2Kdeployment "web" successfully rolled out\n`));
});

test("status exits non-zero when the Progressing condition reports ProgressDeadlineExceeded", async () => {
  const api = new FakeApi();
  api.seed(deployments, web({ updated: 4, replicas: 10, available: 8 }));
  const stuck = web({
    updated: 4,
    replicas: 10,
    available: 8,
    conditions: [{ type: "Progressing", status: "False", reason: "ProgressDeadlineExceeded", message: 'ReplicaSet "web-7c9" has timed out progressing.' }],
  });
  api.watchEvents.push({ type: "MODIFIED", object: stuck, revision: 201 });
  const stdout = Object.assign(new Capture(), { isTTY: true });
  const io = fakeIo(api, { stdout });
  assert.equal(await run(["rollout", "status", "deployment/web"], io), 1);
  assert.equal(io.stderr.text, 'error: deployment "web" exceeded its progress deadline\n');
  assert.ok(stdout.text.endsWith("4/10 updated, 8/10 available, 6 old pending\n"), "the last bar stays, ended by a newline");
});

test("status --watch=false prints the current line once and exits 0; --timeout gives up with an error", async () => {
  const api = new FakeApi();
  api.seed(deployments, web({ updated: 10, replicas: 10, available: 10, generation: 3, observed: 2 }));
  let io = fakeIo(api);
  assert.equal(await run(["rollout", "status", "deployment/web", "--watch=false"], io), 0);
  assert.equal(io.stdout.text, "Waiting for deployment spec update to be observed...\n");

  io = fakeIo(api, { signal: new AbortController().signal });
  assert.equal(await run(["rollout", "status", "deployment/web", "--timeout=50ms"], io), 1);
  assert.equal(io.stdout.text, "Waiting for deployment spec update to be observed...\n");
  assert.equal(io.stderr.text, "error: timed out waiting for the condition\n");
});

test("status fails when the deployment is deleted while watched, or --revision is not the running one", async () => {
  const api = new FakeApi();
  api.seed(deployments, web({ updated: 2, replicas: 10, available: 8 }));
  api.watchEvents.push({ type: "DELETED", object: web({ updated: 2, replicas: 10, available: 8 }), revision: 300 });
  let io = fakeIo(api);
  assert.equal(await run(["rollout", "status", "deployment/web"], io), 1);
  assert.equal(io.stderr.text, "error: object has been deleted\n");

  io = fakeIo(api);
  assert.equal(await run(["rollout", "status", "deployment/web", "--revision=3"], io), 1);
  assert.equal(io.stderr.text, "error: desired revision (3) is different from the running revision (2)\n");
});

test("the rolled-out test needs the spec observed, all replicas updated, none old, all updated available", () => {
  assert.equal(deploymentProgress(web({ updated: 10, replicas: 10, available: 10 })).done, true);
  assert.equal(deploymentProgress(web({ updated: 10, replicas: 10, available: 10, generation: 3 })).done, false);
  assert.equal(deploymentProgress(web({ updated: 10, replicas: 11, available: 10 })).done, false);
  assert.equal(deploymentProgress(web({ updated: 10, replicas: 10, available: 9 })).done, false);
  assert.equal(progressBar("web", deploymentProgress(web({ updated: 0, replicas: 10, available: 10 }))).includes("░".repeat(30)), true);
});
