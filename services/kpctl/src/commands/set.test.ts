// Tests of `kpctl set image|env|resources` on a deployment's pod template and on a pod.
import assert from "node:assert/strict";
import { test } from "node:test";
import { kindFor, type KindInfo } from "@kubeplane/api";
import { FakeApi, fakeIo } from "../fake-client-test-support.js";
import { arr } from "../json-fields.js";
import { run } from "../run.js";

const deployments = kindFor("apps/v1", "Deployment") as KindInfo;

function api(): FakeApi {
  const a = new FakeApi();
  a.seed(deployments, {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web", namespace: "default" },
    spec: { template: { spec: { initContainers: [{ name: "init", image: "busybox:1" }], containers: [{ name: "app", image: "nginx:1.26", env: [{ name: "OLD", value: "x" }] }, { name: "side", image: "busybox:1" }] } } },
  });
  return a;
}
const containers = async (a: FakeApi): Promise<Record<string, unknown>[]> => arr(await a.get(deployments, "default", "web"), "spec", "template", "spec", "containers") as Record<string, unknown>[];

test("set image changes a named container, then every container with *", async () => {
  const a = api();
  let io = fakeIo(a);
  assert.equal(await run(["set", "image", "deployment/web", "app=nginx:1.27"], io), 0);
  assert.equal(io.stdout.text, "deployment.apps/web image updated\n");
  assert.deepEqual((await containers(a)).map((c) => c.image), ["nginx:1.27", "busybox:1"]);
  io = fakeIo(a);
  assert.equal(await run(["set", "image", "deploy", "web", "*=busybox:1.36"], io), 0);
  assert.deepEqual((await containers(a)).map((c) => c.image), ["busybox:1.36", "busybox:1.36"]);
  io = fakeIo(a);
  assert.equal(await run(["set", "image", "deploy/web", "nope=x"], io), 1);
  assert.match(io.stderr.text, /unable to find container named "nope"/);
});

test("set env sets, replaces and removes variables in the chosen containers", async () => {
  const a = api();
  const io = fakeIo(a);
  assert.equal(await run(["set", "env", "deploy/web", "-c", "app", "MODE=prod", "OLD-"], io), 0);
  assert.equal(io.stdout.text, "deployment.apps/web env updated\n");
  const [app, side] = await containers(a);
  assert.deepEqual(app?.env, [{ name: "MODE", value: "prod" }]);
  assert.equal(side?.env, undefined);
});

test("set resources merges limits and requests, refusing a bad quantity", async () => {
  const a = api();
  let io = fakeIo(a);
  assert.equal(await run(["set", "resources", "deploy/web", "-c", "side", "--limits=cpu=200m,memory=512Mi", "--requests", "cpu=100m"], io), 0);
  assert.equal(io.stdout.text, "deployment.apps/web resource requirements updated\n");
  assert.deepEqual((await containers(a))[1]?.resources, { limits: { cpu: "200m", memory: "512Mi" }, requests: { cpu: "100m" } });
  io = fakeIo(a);
  assert.equal(await run(["set", "resources", "deploy/web", "--limits=cpu=lots"], io), 1);
  assert.match(io.stderr.text, /invalid --limits cpu=lots/);
});
