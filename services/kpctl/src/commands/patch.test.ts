// Tests of `kpctl patch`: strategic merge by container name, JSON merge, RFC 6902 JSON patch, no-op and bad patches.
import assert from "node:assert/strict";
import { test } from "node:test";
import { apiErrors, kindFor, type KindInfo } from "@kubeplane/api";
import { FakeApi, fakeIo } from "../fake-client-test-support.js";
import { arr, str } from "../json-fields.js";
import { run } from "../run.js";

const deployments = kindFor("apps/v1", "Deployment") as KindInfo;

function api(): FakeApi {
  const a = new FakeApi();
  a.seed(deployments, {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web", namespace: "default", labels: { app: "web" } },
    spec: { replicas: 1, template: { spec: { containers: [{ name: "app", image: "nginx:1.26" }, { name: "side", image: "busybox:1.36" }] } } },
  });
  return a;
}
const images = async (a: FakeApi): Promise<string[]> => arr(await a.get(deployments, "default", "web"), "spec", "template", "spec", "containers").map((c) => `${str(c, "name")}=${str(c, "image")}`);

test("a strategic patch changes one container by name and keeps the other", async () => {
  const a = api();
  const io = fakeIo(a);
  assert.equal(await run(["patch", "deploy", "web", "-p", '{"spec":{"template":{"spec":{"containers":[{"name":"app","image":"nginx:1.27"}]}}}}'], io), 0);
  assert.equal(io.stdout.text, "deployment.apps/web patched\n");
  assert.deepEqual(await images(a), ["app=nginx:1.27", "side=busybox:1.36"]);
});

test("a merge patch replaces the list; a json patch edits by pointer; the same patch again is no change", async () => {
  const a = api();
  let io = fakeIo(a);
  assert.equal(await run(["patch", "deployment/web", "--type=merge", "-p", "spec: {template: {spec: {containers: [{name: app, image: 'nginx:1.28'}]}}}"], io), 0);
  assert.deepEqual(await images(a), ["app=nginx:1.28"]);
  io = fakeIo(a);
  assert.equal(await run(["patch", "deployment/web", "--type", "json", "-p", '[{"op":"replace","path":"/spec/replicas","value":3},{"op":"add","path":"/metadata/labels/tier","value":"front"}]'], io), 0);
  const obj = await a.get(deployments, "default", "web");
  assert.deepEqual([str(obj, "spec", "replicas"), str(obj, "metadata", "labels", "tier")], ["3", "front"]);
  io = fakeIo(a);
  assert.equal(await run(["patch", "deployment/web", "--type=merge", "-p", '{"spec":{"replicas":3}}'], io), 0);
  assert.equal(io.stdout.text, "deployment.apps/web patched (no change)\n");
});

test("patch retries on a Conflict and reports a patch that does not apply", async () => {
  const a = api();
  let conflicts = 1;
  a.failUpdate = () => (conflicts-- > 0 ? apiErrors.staleConflict({ group: "apps", resource: "deployments", name: "web", kind: "Deployment" }) : undefined);
  let io = fakeIo(a);
  assert.equal(await run(["patch", "deploy", "web", "-p", '{"spec":{"replicas":2}}'], io), 0);
  assert.equal(a.calls.filter((c) => c.startsWith("update")).length, 2);
  io = fakeIo(a);
  assert.equal(await run(["patch", "deploy", "web", "--type=json", "-p", '[{"op":"remove","path":"/spec/nope"}]'], io), 1);
  assert.match(io.stderr.text, /^error: unable to remove nonexistent key: nope/);
  io = fakeIo(a);
  assert.equal(await run(["patch", "deploy", "web", "--type=strategic", "-p", '{"spec":{"template":{"spec":{"containers":[{"image":"x"}]}}}}'], io), 1);
  assert.match(io.stderr.text, /does not contain declared merge key: name/);
});
