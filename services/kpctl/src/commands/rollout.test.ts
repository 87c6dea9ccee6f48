// Tests of `kpctl rollout history|undo|pause|resume|restart` through run() over the fake apiserver.
import assert from "node:assert/strict";
import { test } from "node:test";
import { apiErrors, kindFor, type KindInfo } from "@kubeplane/api";
import type { JsonObject } from "@kubeplane/client";
import { FakeApi, fakeIo } from "../fake-client-test-support.js";
import { at, str } from "../json-fields.js";
import { run } from "../run.js";

const deployments = kindFor("apps/v1", "Deployment") as KindInfo;
const replicaSets = kindFor("apps/v1", "ReplicaSet") as KindInfo;

function template(image: string, hash?: string): JsonObject {
  return {
    metadata: { labels: { app: "web", ...(hash ? { "pod-template-hash": hash } : {}) } },
    spec: { containers: [{ name: "web", image }] },
  };
}

/** web at revision 3 (nginx:1.27), with ReplicaSets for revisions 1..3 and one owned by someone else. */
function seeded(extra: { paused?: boolean } = {}): FakeApi {
  const api = new FakeApi();
  const d = api.seed(deployments, {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web", namespace: "default", uid: "dep-uid", annotations: { "deployment.kubernetes.io/revision": "3", "kubernetes.io/change-cause": "bump to 1.27" } },
    spec: { replicas: 3, selector: { matchLabels: { app: "web" } }, template: template("nginx:1.27"), ...(extra.paused ? { paused: true } : {}) },
  });
  const rs = (name: string, revision: string, image: string, cause: string | undefined, ownerUid = str(d, "metadata", "uid")): void => {
    api.seed(replicaSets, {
      apiVersion: "apps/v1",
      kind: "ReplicaSet",
      metadata: {
        name,
        namespace: "default",
        annotations: { "deployment.kubernetes.io/revision": revision, ...(cause ? { "kubernetes.io/change-cause": cause } : {}) },
        ownerReferences: [{ apiVersion: "apps/v1", kind: "Deployment", name: "web", uid: ownerUid, controller: true }],
      },
      spec: { replicas: 0, template: template(image, name.slice(4)) },
    });
  };
  rs("web-aaa", "1", "nginx:1.25", undefined);
  rs("web-bbb", "2", "nginx:1.26", "bump to 1.26");
  rs("web-ccc", "3", "nginx:1.27", "bump to 1.27");
  rs("other-ddd", "9", "busybox", undefined, "someone-else");
  return api;
}

const image = async (api: FakeApi): Promise<string> => str(await api.get(deployments, "default", "web"), "spec", "template", "spec", "containers", 0, "image");

test("history lists the deployment's own ReplicaSets by revision with their change-cause", async () => {
  const io = fakeIo(seeded());
  assert.equal(await run(["rollout", "history", "deployment/web"], io), 0);
  assert.equal(io.stdout.text, "deployment.apps/web \nREVISION  CHANGE-CAUSE\n1         <none>\n2         bump to 1.26\n3         bump to 1.27\n\n");
});

test("history --revision prints that revision's pod template, and fails for an unknown one", async () => {
  const api = seeded();
  let io = fakeIo(api);
  assert.equal(await run(["rollout", "history", "deployment/web", "--revision=2"], io), 0);
  const out = io.stdout.text;
  assert.match(out, /^deployment\.apps\/web with revision #2\nPod Template:\n  Labels:\s+app=web\n\s+pod-template-hash=bbb\n  Annotations:\s+kubernetes\.io\/change-cause: bump to 1\.26\n  Containers:\n    web:\n      Image:\s+nginx:1\.26\n[^]*\n\n$/);

  io = fakeIo(api);
  assert.equal(await run(["rollout", "history", "deployment/web", "--revision=7"], io), 1);
  assert.equal(io.stderr.text, "error: unable to find the specified revision\n");
});

test("undo copies the previous revision's template (without pod-template-hash) into the deployment", async () => {
  const api = seeded();
  const io = fakeIo(api);
  assert.equal(await run(["rollout", "undo", "deployment/web"], io), 0);
  assert.equal(io.stdout.text, "deployment.apps/web rolled back\n");
  const d = await api.get(deployments, "default", "web");
  assert.deepEqual(at(d, "spec", "template"), template("nginx:1.26"));
  assert.equal(str(d, "metadata", "annotations", "kubernetes.io/change-cause"), "bump to 1.26");
  assert.equal(str(d, "metadata", "annotations", "deployment.kubernetes.io/revision"), "3", "the deployment keeps its own revision");
});

test("undo --to-revision picks that revision, retries a Conflict, and errors for a missing one", async () => {
  const api = seeded();
  let conflicts = 1;
  api.failUpdate = () => (conflicts-- > 0 ? apiErrors.staleConflict({ group: "apps", resource: "deployments", name: "web", kind: "Deployment" }) : undefined);
  let io = fakeIo(api);
  assert.equal(await run(["rollout", "undo", "deployment/web", "--to-revision=1"], io), 0);
  assert.equal(io.stdout.text, "deployment.apps/web rolled back\n");
  assert.equal(await image(api), "nginx:1.25");
  assert.equal(api.calls.filter((c) => c.startsWith("update deployments web")).length, 2);

  io = fakeIo(api);
  assert.equal(await run(["rollout", "undo", "deployment/web", "--to-revision=8"], io), 1);
  assert.equal(io.stderr.text, "error: unable to find specified revision 8 in history\n");
});

test("undo to the template already running is skipped; a paused deployment is refused", async () => {
  let io = fakeIo(seeded());
  assert.equal(await run(["rollout", "undo", "deployment/web", "--to-revision=3"], io), 0);
  assert.equal(io.stdout.text, "deployment.apps/web skipped rollback (current template already matches revision 3)\n");

  io = fakeIo(seeded({ paused: true }));
  assert.equal(await run(["rollout", "undo", "deployment/web"], io), 1);
  assert.match(io.stderr.text, /^error: you cannot rollback a paused deployment/);
});

test("pause and resume set spec.paused by merge patch and refuse a no-op", async () => {
  const api = seeded();
  let io = fakeIo(api);
  assert.equal(await run(["rollout", "pause", "deployment/web"], io), 0);
  assert.equal(io.stdout.text, "deployment.apps/web paused\n");
  assert.equal(at(await api.get(deployments, "default", "web"), "spec", "paused"), true);
  assert.equal(api.calls.at(-1), 'patch deployments web {"spec":{"paused":true}}');

  io = fakeIo(api);
  assert.equal(await run(["rollout", "pause", "deployment/web"], io), 1);
  assert.equal(io.stderr.text, 'error: deployments.apps "web" is already paused\n');

  io = fakeIo(api);
  assert.equal(await run(["rollout", "resume", "deployment/web"], io), 0);
  assert.equal(io.stdout.text, "deployment.apps/web resumed\n");
  assert.equal(at(await api.get(deployments, "default", "web"), "spec", "paused"), false);

  io = fakeIo(api);
  assert.equal(await run(["rollout", "resume", "deployment/web"], io), 1);
  assert.equal(io.stderr.text, 'error: deployments.apps "web" is not paused\n');
});

test("restart stamps the pod template with kubectl.kubernetes.io/restartedAt", async () => {
  const api = seeded();
  const io = fakeIo(api);
  assert.equal(await run(["rollout", "restart", "deployment/web"], io), 0);
  assert.equal(io.stdout.text, "deployment.apps/web restarted\n");
  const d = await api.get(deployments, "default", "web");
  assert.equal(str(d, "spec", "template", "metadata", "annotations", "kubectl.kubernetes.io/restartedAt"), "2026-03-01T12:00:00Z");
  assert.equal(str(d, "spec", "template", "spec", "containers", 0, "image"), "nginx:1.27", "the rest of the template is kept");
});

test("rollout needs a known subcommand and a deployment", async () => {
  let io = fakeIo(seeded());
  assert.equal(await run(["rollout", "frobnicate", "deployment/web"], io), 1);
  assert.match(io.stderr.text, /^error: unknown rollout subcommand "frobnicate"/);

  io = fakeIo(seeded());
  assert.equal(await run(["rollout", "pause", "statefulset/db"], io), 1);
  assert.equal(io.stderr.text, "error: kpctl rollout pause supports deployments only, not statefulsets.apps\n");
});
