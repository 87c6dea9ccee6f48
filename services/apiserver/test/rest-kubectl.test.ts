// Real kubectl against the REST API of a real apiserver (TLS, client certificates, RBAC): each command checked for its effect.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { testPki, waitFor } from "@kubeplane/testing";
import { startTestCluster, type TestCluster } from "./harness.js";
import { kubectl, kubectlStream, restRequest, writeKubeconfig } from "./rest-support.js";

await testPki();

const deployment = (image: string, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web", labels: { app: "web" } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: "web" } },
      template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "main", image, ports: [{ containerPort: 80 }] }] } },
      ...extra,
    },
  });

describe("REST API: kubectl", () => {
  let cluster: TestCluster;
  let url: string;
  let kc: { path: string; dir: string };
  const run = async (...args: string[]): Promise<string> => {
    const r = await kubectl(kc, args);
    assert.equal(r.code, 0, `kubectl ${args.join(" ")} failed: ${r.stderr}`);
    return r.stdout;
  };
  const jsonpath = (what: string, path: string): Promise<string> => run("get", what, "-o", `jsonpath=${path}`);

  before(async () => {
    cluster = await startTestCluster();
    url = cluster.apiservers[0]!.restUrl!;
    kc = writeKubeconfig(url);
  });
  after(async () => {
    await cluster?.stop();
  });

  test("health is anonymous; a request without credentials is 401 and one the user may not make is 403, each with a Status", async () => {
    assert.equal((await restRequest(`${url}/healthz`, { identity: "" })).status, 200);
    const anonymous = await restRequest(`${url}/api/v1/namespaces/default/pods`, { identity: "" });
    assert.equal(anonymous.status, 401);
    assert.deepEqual(pick(JSON.parse(anonymous.body), "kind", "status", "reason", "code"), { kind: "Status", status: "Failure", reason: "Unauthorized", code: 401 });
    const badToken = await restRequest(`${url}/api/v1/namespaces/default/pods`, { identity: "", headers: { Authorization: "Bearer not.a.token" } });
    assert.equal(badToken.status, 401);
    const forbidden = await restRequest(`${url}/api/v1/namespaces/default/pods`, { headers: { "Impersonate-User": "nobody" } });
    assert.equal(forbidden.status, 403);
    const status = JSON.parse(forbidden.body) as { reason: string; message: string };
    assert.equal(status.reason, "Forbidden");
    assert.match(status.message, /User "nobody" cannot list resource "pods" in API group "" in the namespace "default"/);
  });

  test("version, api-resources and explain come from discovery and OpenAPI v3", async () => {
    assert.match(await run("version", "-o", "json"), /"gitVersion": "v1\.32\.0-kubeplane/);
    const resources = await run("api-resources");
    assert.match(resources, /^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m);
    assert.match(resources, /^pods\s+po\s+v1\s+true\s+Pod$/m);
    assert.match(resources, /^nodes\s+no\s+v1\s+false\s+Node$/m);
    const explain = await run("explain", "deployment.spec.replicas");
    assert.match(explain, /KIND:\s+Deployment/);
    assert.match(explain, /FIELD:\s+replicas <integer>/);
  });

  test("apply twice (the second unchanged), get in every output, patch three ways, label, scale, delete", async () => {
    const applyFile = async (doc: string): Promise<string> => {
      const r = await kubectl(kc, ["apply", "-f", "-"], doc);
      assert.equal(r.code, 0, r.stderr);
      return r.stdout;
    };
    assert.match(await applyFile(deployment("nginx:1.25")), /deployment\.apps\/web created/);
    assert.match(await applyFile(deployment("nginx:1.25")), /deployment\.apps\/web unchanged/);
    assert.match(await run("get", "deployments"), /^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\nweb\s+0\/1\s+0\s+0\s+\d+s\n$/);
    assert.match(await run("get", "deploy", "web", "-o", "wide"), /CONTAINERS\s+IMAGES\s+SELECTOR\nweb\s.*main\s+nginx:1\.25\s+app=web/);
    assert.equal((JSON.parse(await run("get", "deploy", "web", "-o", "json")) as { spec: { replicas: number } }).spec.replicas, 1);
    assert.match(await run("get", "deploy", "web", "-o", "yaml"), /^kind: Deployment$/m);
    assert.equal(await jsonpath("deploy/web", "{.spec.template.spec.containers[0].image}"), "nginx:1.25");

    await run("patch", "deploy", "web", "--type=json", "-p", '[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"nginx:1.26"}]');
    assert.equal(await jsonpath("deploy/web", "{.spec.template.spec.containers[0].image}"), "nginx:1.26");
    await run("patch", "deploy", "web", "--type=merge", "-p", '{"metadata":{"annotations":{"team":"blue"}}}');
    assert.equal(await jsonpath("deploy/web", "{.metadata.annotations.team}"), "blue");
    // Strategic: the container list merges by name, so the sidecar is added next to main.
    await run("patch", "deploy", "web", "-p", '{"spec":{"template":{"spec":{"containers":[{"name":"sidecar","image":"busybox:1.36"}]}}}}');
    assert.deepEqual((await jsonpath("deploy/web", "{.spec.template.spec.containers[*].name}")).split(" ").sort(), ["main", "sidecar"]);

    await run("label", "deploy", "web", "tier=frontend");
    assert.equal(await jsonpath("deploy/web", "{.metadata.labels.tier}"), "frontend");
    assert.match(await run("get", "deploy", "-l", "tier=frontend", "-o", "name"), /^deployment\.apps\/web$/m);
    assert.equal(await run("get", "deploy", "-l", "tier=backend", "-o", "name"), "");

    await run("scale", "deploy", "web", "--replicas=3");
    assert.equal(await jsonpath("deploy/web", "{.spec.replicas}"), "3");

    assert.match(await run("create", "configmap", "dry", "--from-literal=a=b", "--dry-run=server", "-o", "name"), /configmap\/dry/);
    assert.equal((await kubectl(kc, ["get", "configmap", "dry"])).code, 1, "a server dry run stores nothing");

    await run("delete", "deploy", "web");
    const gone = await kubectl(kc, ["get", "deploy", "web"]);
    assert.notEqual(gone.code, 0);
    assert.match(gone.stderr, /NotFound.*deployments\.apps "web" not found/);
  });

  test("get -w sees a change made after it started", async () => {
    await run("create", "configmap", "watched", "--from-literal=v=1");
    const watch = kubectlStream(kc, ["get", "configmaps", "watched", "-w", "-o", "jsonpath={.data.v}{\"\\n\"}"]);
    try {
      await waitFor(() => (watch.output().includes("1\n") ? true : undefined), { timeoutMs: 10_000, message: "the watch's first line" });
      await run("patch", "configmap", "watched", "--type=merge", "-p", '{"data":{"v":"2"}}');
      await waitFor(() => (watch.output().includes("2\n") ? true : undefined), { timeoutMs: 10_000, message: "the change on the watch" });
    } finally {
      watch.child.kill();
    }
  });

  test("auth can-i answers for the caller and for an impersonated user", async () => {
    assert.equal((await run("auth", "can-i", "create", "deployments")).trim(), "yes");
    const r = await kubectl(kc, ["auth", "can-i", "create", "deployments", "--as=nobody"]);
    assert.equal(r.stdout.trim(), "no");
  });
});

function pick(obj: Record<string, unknown>, ...keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((k) => [k, obj[k]]));
}
