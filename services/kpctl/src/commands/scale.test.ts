// Tests of `kpctl scale` through run() over the fake apiserver's scale subresource.
import assert from "node:assert/strict";
import { test } from "node:test";
import { kindFor, type KindInfo } from "@kubeplane/api";
import { FakeApi, fakeIo } from "../fake-client-test-support.js";
import { num } from "../json-fields.js";
import { run } from "../run.js";

const deployments = kindFor("apps/v1", "Deployment") as KindInfo;
const statefulSets = kindFor("apps/v1", "StatefulSet") as KindInfo;

function seeded(): FakeApi {
  const api = new FakeApi();
  api.seed(deployments, { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "web", namespace: "default" }, spec: { replicas: 2 } });
  api.seed(statefulSets, { apiVersion: "apps/v1", kind: "StatefulSet", metadata: { name: "db", namespace: "prod" }, spec: { replicas: 1 } });
  return api;
}

test("scale sets replicas through the scale subresource and prints kind.group/name scaled", async () => {
  const api = seeded();
  const io = fakeIo(api);
  assert.equal(await run(["scale", "deployment", "web", "--replicas=5"], io), 0);
  assert.equal(io.stdout.text, "deployment.apps/web scaled\n");
  assert.deepEqual(api.calls, ["scale deployments web 5"]);
  assert.equal(num(await api.get(deployments, "default", "web"), "spec", "replicas"), 5);

  const io2 = fakeIo(api);
  assert.equal(await run(["scale", "sts/db", "--replicas", "0", "-n", "prod"], io2), 0);
  assert.equal(io2.stdout.text, "statefulset.apps/db scaled\n");
  assert.equal(num(await api.get(statefulSets, "prod", "db"), "spec", "replicas"), 0);
});

test("scale --current-replicas scales only when the current size matches, as a compare-and-swap", async () => {
  const api = seeded();
  let io = fakeIo(api);
  assert.equal(await run(["scale", "deployment/web", "--current-replicas=3", "--replicas=4"], io), 1);
  assert.equal(io.stderr.text, "error: Expected replicas to be 3, was 2\n");
  assert.equal(num(await api.get(deployments, "default", "web"), "spec", "replicas"), 2);

  io = fakeIo(api);
  assert.equal(await run(["scale", "deployment/web", "--current-replicas=2", "--replicas=4"], io), 0);
  assert.equal(io.stdout.text, "deployment.apps/web scaled\n");
  assert.match(api.calls.at(-1) ?? "", /^scale deployments web 4 rv=\d+$/);
});

test("scale without --replicas, of an unscalable kind, or of a missing object fails", async () => {
  const api = seeded();
  let io = fakeIo(api);
  assert.equal(await run(["scale", "deployment/web"], io), 1);
  assert.match(io.stderr.text, /^error: The --replicas=COUNT flag is required/);

  io = fakeIo(api);
  assert.equal(await run(["scale", "pod/web-0", "--replicas=1"], io), 1);
  assert.match(io.stderr.text, /^error: cannot scale pods: /);

  io = fakeIo(api);
  assert.equal(await run(["scale", "deployment/nope", "--replicas=1"], io), 1);
  assert.equal(io.stderr.text, 'Error from server (NotFound): deployments.apps "nope" not found\n');
});
