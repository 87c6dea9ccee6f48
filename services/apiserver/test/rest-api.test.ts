// The Kubernetes REST API of a real apiserver (TLS, client certificates, RBAC) driven by real kubectl, by
// @kubernetes/client-node's informer and by raw requests; each command is checked for its effect. One cluster for all.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { once } from "node:events";
import { connect as tlsConnect } from "node:tls";
import { CoreV1Api, KubeConfig, PatchStrategy, makeInformer, setHeaderOptions, type V1Pod } from "@kubernetes/client-node";
import { clientTls, testPki, waitFor } from "@kubeplane/testing";
import { startTestCluster, type TestCluster } from "./harness.js";
import { kubectl, kubectlStream, openStream, restRequest, runKpctl, writeKubeconfig } from "./rest-support.js";

await testPki();

let cluster: TestCluster;
let url: string;
const auditDir = mkdtempSync(join(tmpdir(), "kp-rest-audit-"));
const auditLog = join(auditDir, "audit.log");
before(async () => {
  writeFileSync(join(auditDir, "policy.yaml"), 'apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n  - level: None\n    resources: [{ group: "coordination.k8s.io", resources: ["leases"] }]\n  - level: RequestResponse\n');
  cluster = await startTestCluster({ config: { auditPolicyFile: join(auditDir, "policy.yaml"), auditLogPath: auditLog, maxWatchesPerUser: 1 } });
  url = cluster.apiservers[0]!.restUrl!;
});
after(async () => {
  await cluster?.stop();
});

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
  let kc: { path: string; dir: string };
  const run = async (...args: string[]): Promise<string> => {
    const r = await kubectl(kc, args);
    assert.equal(r.code, 0, `kubectl ${args.join(" ")} failed: ${r.stderr}`);
    return r.stdout;
  };
  const jsonpath = (what: string, path: string): Promise<string> => run("get", what, "-o", `jsonpath=${path}`);

  before(() => {
    kc = writeKubeconfig(url);
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
    const versions = (await run("api-versions")).split("\n");
    for (const v of ["v1", "apps/v1", "autoscaling/v1", "autoscaling/v2", "metrics.k8s.io/v1beta1"]) assert.ok(versions.includes(v), `api-versions lists ${v}`);
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
    const asJson = JSON.parse(await run("get", "deploy", "web", "-o", "json")) as { spec: { replicas: number; template: { spec: { containers: Array<{ ports: unknown[] }> } } } };
    assert.equal(asJson.spec.replicas, 1);
    // hostPort 0 is omitted, as Kubernetes' omitempty (kubectl describe still prints "Host Port: 0/TCP", as against Kubernetes).
    assert.deepEqual(asJson.spec.template.spec.containers[0]!.ports, [{ containerPort: 80, protocol: "TCP" }]);
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

    // Server-side apply: created when absent, and a second apply of the same configuration changes nothing.
    const ssa = deployment("nginx:1.27").replace('"name":"web"', '"name":"ssa"').replaceAll('"app":"web"', '"app":"ssa"');
    assert.match((await kubectl(kc, ["apply", "--server-side", "-f", "-"], ssa)).stdout, /deployment\.apps\/ssa serverside-applied/);
    const rv = await jsonpath("deploy/ssa", "{.metadata.resourceVersion}");
    assert.equal((await kubectl(kc, ["apply", "--server-side", "-f", "-"], ssa)).code, 0);
    assert.equal(await jsonpath("deploy/ssa", "{.metadata.resourceVersion}"), rv);
    // diff: a server-side dry run of the apply; exit 0 when nothing would change, 1 with the change.
    assert.equal((await kubectl(kc, ["diff", "-f", "-"], ssa)).code, 0);
    const diff = await kubectl(kc, ["diff", "-f", "-"], ssa.replace('"replicas":1', '"replicas":4'));
    assert.equal(diff.code, 1, diff.stderr);
    assert.match(diff.stdout, /^-  replicas: 1\n\+  replicas: 4$/m);
    assert.equal(await jsonpath("deploy/ssa", "{.spec.replicas}"), "1", "diff changes nothing");

    // More of kubectl's everyday commands, each checked for its effect.
    await run("annotate", "deploy", "web", "owner=team-a");
    assert.equal(await jsonpath("deploy/web", "{.metadata.annotations.owner}"), "team-a");
    await run("set", "image", "deploy/web", "main=nginx:1.27");
    assert.equal(await jsonpath("deploy/web", "{.spec.template.spec.containers[?(@.name==\"main\")].image}"), "nginx:1.27");
    await run("rollout", "restart", "deploy/web");
    assert.ok(await jsonpath("deploy/web", "{.spec.template.metadata.annotations.kubectl\\.kubernetes\\.io/restartedAt}"));
    const edit = await kubectl(kc, ["edit", "deploy", "web"], undefined, { EDITOR: "sed -i s/replicas:\\ 3/replicas:\\ 2/" });
    assert.equal(edit.code, 0, edit.stderr);
    assert.equal(await jsonpath("deploy/web", "{.spec.replicas}"), "2");
    assert.match(await run("get", "deploy", "web", "-o", "custom-columns=NAME:.metadata.name,IMAGE:.spec.template.spec.containers[0].image"), /^NAME\s+IMAGE\nweb\s+nginx:1\.2\d\n$/);
    assert.match(await run("describe", "deploy", "web"), /^Replicas:\s+2 desired/m);
    // The status subresource: a controller's condition, then kubectl wait sees it.
    await run("patch", "deploy", "web", "--subresource=status", "--type=merge", "-p", '{"status":{"conditions":[{"type":"Available","status":"True","reason":"MinimumReplicasAvailable","message":"ok"}]}}');
    assert.match(await run("wait", "--for=condition=Available", "deploy/web", "--timeout=10s"), /deployment\.apps\/web condition met/);

    await run("delete", "deploy", "web");
    const gone = await kubectl(kc, ["get", "deploy", "web"]);
    assert.notEqual(gone.code, 0);
    assert.match(gone.stderr, /NotFound.*deployments\.apps "web" not found/);
  });

  test("kpctl config view --kubeconfig writes a kubeconfig kubectl uses for the REST API", async () => {
    // kpctl's context file as make up writes it: the gRPC server, the REST URL in the cluster's extension, credential files.
    const tls = clientTls("admin");
    const kpctlConfig = join(kc.dir, "kpctl-config");
    writeFileSync(kpctlConfig, JSON.stringify({
      clusters: [{ name: "kp", cluster: { server: cluster.apiservers[0]!.addresses.grpcAddress, "certificate-authority": tls.caFile, extensions: [{ name: "kubeplane.io/rest-server", extension: { server: url } }] } }],
      users: [{ name: "admin", user: { "client-certificate": tls.certFile, "client-key": tls.keyFile } }],
      contexts: [{ name: "kp", context: { cluster: "kp", user: "admin" } }],
      "current-context": "kp",
    }));
    const view = await runKpctl(["--config", kpctlConfig, "config", "view", "--kubeconfig", "--raw", "--flatten"]);
    assert.equal(view.code, 0, view.stderr);
    assert.match(view.stdout, /client-key-data: /);
    const path = join(kc.dir, "from-kpctl");
    writeFileSync(path, view.stdout);
    const ns = await kubectl({ path, dir: kc.dir }, ["get", "ns", "default", "-o", "name"]);
    assert.equal(ns.code, 0, ns.stderr);
    assert.equal(ns.stdout, "namespace/default\n");
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

  test("kubectl create generators (sent as Kubernetes protobuf) make what they say", async () => {
    await run("create", "serviceaccount", "builder");
    await run("create", "role", "pod-reader", "--verb=get,list", "--resource=pods");
    await run("create", "rolebinding", "builder-reads", "--role=pod-reader", "--serviceaccount=default:builder");
    await run("create", "quota", "small", "--hard=pods=10,requests.cpu=500m");
    await run("create", "deployment", "gen", "--image=busybox:1.36", "--replicas=2", "--port=8080", "--", "sleep", "3600");
    await run("expose", "deployment", "gen", "--port=80", "--target-port=8080");
    assert.equal(await jsonpath("deploy/gen", "{.spec.replicas} {.spec.template.spec.containers[0].command} {.spec.template.spec.containers[0].ports[0].containerPort}"), '2 ["sleep","3600"] 8080');
    assert.equal(await jsonpath("svc/gen", "{.spec.selector.app} {.spec.ports[0].port} {.spec.ports[0].targetPort}"), "gen 80 8080");
    assert.equal(await jsonpath("role/pod-reader", "{.rules[0].verbs}"), '["get","list"]');
    assert.equal(await jsonpath("rolebinding/builder-reads", "{.roleRef.name} {.subjects[0].kind} {.subjects[0].name}"), "pod-reader ServiceAccount builder");
    assert.equal(await jsonpath("quota/small", "{.spec.hard.requests\\.cpu}"), "500m");
    // The binding takes effect: the ServiceAccount may now list pods, and still not delete them.
    assert.equal((await run("auth", "can-i", "list", "pods", "--as=system:serviceaccount:default:builder")).trim(), "yes");
    assert.equal((await kubectl(kc, ["auth", "can-i", "delete", "pods", "--as=system:serviceaccount:default:builder"])).stdout.trim(), "no");
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

const pod = (name: string): V1Pod => ({ apiVersion: "v1", kind: "Pod", metadata: { name, labels: { app: "informed" } }, spec: { containers: [{ name: "main", image: "busybox:1.36" }] } });

describe("REST API: @kubernetes/client-node", () => {
  let kc: KubeConfig;

  before(() => {
    const tls = clientTls("admin");
    kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: "kubeplane", server: url, caFile: tls.caFile, skipTLSVerify: false }],
      users: [{ name: "admin", certFile: tls.certFile, keyFile: tls.keyFile }],
      contexts: [{ name: "kubeplane", cluster: "kubeplane", user: "admin", namespace: "default" }],
      currentContext: "kubeplane",
    });
  });

  test("an informer lists the pods there are, then sees a pod added, changed and deleted", async () => {
    const api = kc.makeApiClient(CoreV1Api);
    await api.createNamespacedPod({ namespace: "default", body: pod("before") });
    const informer = makeInformer(kc, "/api/v1/namespaces/default/pods", () => api.listNamespacedPod({ namespace: "default" }));
    const seen: string[] = [];
    informer.on("add", (p) => seen.push(`add ${p.metadata?.name}`));
    informer.on("update", (p) => seen.push(`update ${p.metadata?.name} ${p.metadata?.labels?.["stage"] ?? ""}`));
    informer.on("delete", (p) => seen.push(`delete ${p.metadata?.name}`));
    const errors: unknown[] = [];
    informer.on("error", (err) => errors.push(err));
    await informer.start();
    try {
      await waitFor(() => seen.includes("add before"), { message: "the listed pod" });
      await api.createNamespacedPod({ namespace: "default", body: pod("after") });
      await waitFor(() => seen.includes("add after"), { message: "the pod created after the list" });
      await api.patchNamespacedPod({ namespace: "default", name: "after", body: { metadata: { labels: { stage: "two" } } } }, setHeaderOptions("Content-Type", PatchStrategy.MergePatch));
      await waitFor(() => seen.includes("update after two"), { message: "the change" });
      await api.deleteNamespacedPod({ namespace: "default", name: "after", gracePeriodSeconds: 0 });
      await waitFor(() => seen.includes("delete after"), { message: "the deletion" });
      assert.deepEqual(
        informer.list("default").map((p) => p.metadata?.name),
        ["before"],
      );
      assert.deepEqual(errors, []);
    } finally {
      await informer.stop();
    }
  });
});

describe("REST API: raw requests", () => {
  const cm = (name: string, extra: Record<string, unknown> = {}): string => JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, labels: { set: "raw" } }, data: { k: "v" }, ...extra });
  const post = (path: string, body: string, headers: Record<string, string> = {}) => restRequest(`${url}${path}`, { method: "POST", body, headers });

  test("fieldValidation: Strict refuses an unknown field with its path, Warn stores without it and says so in a Warning header", async () => {
    const strict = await post("/api/v1/namespaces/default/configmaps?fieldValidation=Strict", cm("strict", { bogus: 1 }));
    assert.equal(strict.status, 400);
    const status = JSON.parse(strict.body) as { reason: string; details: { causes: { field: string }[] } };
    assert.equal(status.reason, "BadRequest");
    assert.deepEqual(status.details.causes.map((c) => c.field), ["bogus"]);
    const warn = await post("/api/v1/namespaces/default/configmaps?fieldValidation=Warn", cm("warned", { bogus: 1 }));
    assert.equal(warn.status, 201);
    assert.match(String(warn.headers["warning"]), /unknown field \\"bogus\\"/);
    assert.equal((JSON.parse(warn.body) as Record<string, unknown>)["bogus"], undefined);
  });

  test("body limits: 3.5 MiB is 413 RequestEntityTooLarge, JSON nested 10,000 deep is 400 BadRequest, each a Status", async () => {
    const large = await post("/api/v1/namespaces/default/configmaps", cm("large", { data: { k: "x".repeat(3.5 * 1024 * 1024) } }));
    assert.equal(large.status, 413);
    assert.deepEqual(pick(JSON.parse(large.body), "kind", "reason", "code"), { kind: "Status", reason: "RequestEntityTooLarge", code: 413 });
    const deep = await post("/api/v1/namespaces/default/configmaps", `{"metadata":{"name":"deep"},"data":${"[".repeat(10_000)}${"]".repeat(10_000)}}`);
    assert.equal(deep.status, 400);
    const status = JSON.parse(deep.body) as { kind: string; reason: string; message: string };
    assert.deepEqual([status.kind, status.reason], ["Status", "BadRequest"]);
    assert.match(status.message, /deeper than the limit of 100 levels/);
    const deepPatch = await restRequest(`${url}/api/v1/namespaces/default/configmaps/large`, { method: "PATCH", body: `${"{\"a\":".repeat(10_000)}1${"}".repeat(10_000)}`, headers: { "Content-Type": "application/merge-patch+json" } });
    assert.equal(deepPatch.status, 400);
    assert.match((JSON.parse(deepPatch.body) as { message: string }).message, /the patch nests objects and arrays deeper/);
  });

  test("dryRun=All answers with the object and stores nothing; a bad dryRun value is 400", async () => {
    const dry = await post("/api/v1/namespaces/default/configmaps?dryRun=All", cm("dry-raw"));
    assert.equal(dry.status, 201);
    assert.equal((await restRequest(`${url}/api/v1/namespaces/default/configmaps/dry-raw`)).status, 404);
    assert.equal((await post("/api/v1/namespaces/default/configmaps?dryRun=Some", cm("dry-raw"))).status, 400);
  });

  test("a Table has kubectl's columns and a row per object", async () => {
    await post("/api/v1/namespaces/default/configmaps", cm("tabled"));
    const res = await restRequest(`${url}/api/v1/namespaces/default/configmaps?labelSelector=set%3Draw`, { headers: { Accept: "application/json;as=Table;v=v1;g=meta.k8s.io,application/json" } });
    const table = JSON.parse(res.body) as { kind: string; columnDefinitions: { name: string }[]; rows: { cells: string[]; object: { kind: string } }[] };
    assert.equal(table.kind, "Table");
    assert.deepEqual(table.columnDefinitions.map((c) => c.name), ["Name", "Data", "Age"]);
    const row = table.rows.find((r) => r.cells[0] === "tabled");
    assert.equal(row?.cells[1], "1");
    assert.equal(row?.object.kind, "PartialObjectMetadata");
  });

  test("a watch with sendInitialEvents sends the objects, then the initial-events-end bookmark, then changes", async () => {
    await post("/api/v1/namespaces/default/configmaps", cm("streamed"));
    const lines: { type: string; object: { metadata: { name?: string; annotations?: Record<string, string> } } }[] = [];
    const controller = new AbortController();
    const { request } = await import("node:https");
    const { readFileSync } = await import("node:fs");
    const tls = clientTls("admin");
    const req = request(`${url}/api/v1/namespaces/default/configmaps?watch=1&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan&fieldSelector=metadata.name%3Dstreamed`, {
      ca: readFileSync(tls.caFile),
      cert: readFileSync(tls.certFile),
      key: readFileSync(tls.keyFile),
      signal: controller.signal,
    });
    let buffer = "";
    req.on("response", (res) => {
      res.on("data", (d: Buffer) => {
        buffer += d.toString();
        for (let i = buffer.indexOf("\n"); i >= 0; i = buffer.indexOf("\n")) {
          lines.push(JSON.parse(buffer.slice(0, i)) as (typeof lines)[number]);
          buffer = buffer.slice(i + 1);
        }
      });
    });
    req.on("error", () => undefined);
    req.end();
    try {
      await waitFor(() => lines.length >= 2, { message: "the initial events" });
      assert.deepEqual(lines.slice(0, 2).map((l) => l.type), ["ADDED", "BOOKMARK"]);
      assert.equal(lines[1]!.object.metadata.annotations?.["k8s.io/initial-events-end"], "true");
      await restRequest(`${url}/api/v1/namespaces/default/configmaps/streamed`, { method: "PATCH", body: '{"data":{"k":"w"}}', headers: { "Content-Type": "application/merge-patch+json" } });
      await waitFor(() => lines.some((l) => l.type === "MODIFIED"), { message: "the change" });
    } finally {
      controller.abort();
    }
  });

  test("REST watches count against flow control's per-user watch cap: one over it is 429 with Retry-After, a closed one frees its slot", async () => {
    // The cluster runs with maxWatchesPerUser 1; "watcher" is an ordinary user (the admin is a system identity).
    const binding = { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRoleBinding", metadata: { name: "watcher-admin" }, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-admin" }, subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: "watcher" }] };
    assert.equal((await post("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", JSON.stringify(binding))).status, 201);
    const as = { "Impersonate-User": "watcher" };
    const watchUrl = `${url}/api/v1/namespaces/default/configmaps?watch=1`;
    const first = await waitFor(async () => {
      const w = await openStream(watchUrl, as);
      if (w.status === 200) return w;
      w.close(); // the binding may not have reached the authorizer's cache yet
      return undefined;
    }, { message: "the first watch" });
    try {
      const second = await restRequest(watchUrl, { headers: as });
      assert.equal(second.status, 429);
      assert.equal(second.headers["retry-after"], "1");
      assert.deepEqual(pick(JSON.parse(second.body), "kind", "reason", "code"), { kind: "Status", reason: "TooManyRequests", code: 429 });
      assert.equal((JSON.parse(second.body) as { details: { retryAfterSeconds: number } }).details.retryAfterSeconds, 1);
    } finally {
      first.close();
    }
    const third = await waitFor(async () => {
      const w = await openStream(watchUrl, as);
      if (w.status === 200) return w;
      w.close();
      return undefined;
    }, { message: "a watch after the first one closed" });
    third.close();
  });

  test("pods/log goes through the node proxy: an unscheduled pod is 400 and a missing one 404, as Status", async () => {
    const pod = JSON.stringify({ apiVersion: "v1", kind: "Pod", metadata: { name: "unscheduled" }, spec: { containers: [{ name: "main", image: "busybox:1.36" }] } });
    assert.equal((await post("/api/v1/namespaces/default/pods", pod)).status, 201);
    const unscheduled = await restRequest(`${url}/api/v1/namespaces/default/pods/unscheduled/log?follow=true&tailLines=10`);
    assert.equal(unscheduled.status, 400);
    assert.match((JSON.parse(unscheduled.body) as { message: string }).message, /pod unscheduled does not have a host assigned/);
    assert.equal((await restRequest(`${url}/api/v1/namespaces/default/pods/absent/log`)).status, 404);
    assert.equal((await restRequest(`${url}/api/v1/namespaces/default/pods/unscheduled/log?tailLines=x`)).status, 400);
  });

  test("deletecollection removes what the selector selects; exec and port-forward without an upgrade are a 400", async () => {
    const del = await restRequest(`${url}/api/v1/namespaces/default/configmaps?labelSelector=set%3Draw`, { method: "DELETE" });
    assert.equal(del.status, 200);
    const left = JSON.parse((await restRequest(`${url}/api/v1/namespaces/default/configmaps?labelSelector=set%3Draw`)).body) as { items: unknown[] };
    assert.deepEqual(left.items, []);
    const exec = await restRequest(`${url}/api/v1/namespaces/default/pods/any/exec?command=sh`, { method: "POST" });
    assert.equal(exec.status, 400);
    assert.match((JSON.parse(exec.body) as { message: string }).message, /Upgrade request required/);
    const portForward = await restRequest(`${url}/api/v1/namespaces/default/pods/any/portforward?ports=80`, { method: "POST" });
    assert.equal(portForward.status, 400);
    assert.match((JSON.parse(portForward.body) as { message: string }).message, /Upgrade request required: pods\/portforward/);
  });
});

describe("REST API: audit", () => {
  interface Event {
    auditID: string;
    stage: string;
    requestURI: string;
    verb: string;
    user: { username: string };
    impersonatedUser?: { username: string };
    responseStatus?: { code: number };
    annotations?: Record<string, string>;
    requestObject?: { metadata: { name?: string } };
    responseObject?: { metadata: { name?: string; uid?: string } };
  }
  const events = (): Event[] =>
    readFileSync(auditLog, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Event);

  test("every REST request is audited with its user, verb, URI, code and bodies; impersonation and a refusal are recorded", async () => {
    await restRequest(`${url}/api/v1/namespaces/default/configmaps`, { method: "POST", body: JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "audited" } }) });
    await restRequest(`${url}/api/v1/namespaces/default/secrets`, { headers: { "Impersonate-User": "mallory" } });
    const created = await waitFor(() => events().find((e) => e.requestURI === "/api/v1/namespaces/default/configmaps" && e.verb === "create" && e.stage === "ResponseComplete" && e.requestObject?.metadata.name === "audited"), { message: "the create's event" });
    assert.equal(created.user.username, "kubernetes-admin");
    assert.equal(created.responseStatus?.code, 201);
    assert.equal(created.annotations?.["authorization.k8s.io/decision"], "allow");
    assert.equal(created.responseObject?.metadata.name, "audited");
    assert.ok(created.responseObject?.metadata.uid, "the response body is the stored object");
    assert.deepEqual(events().filter((e) => e.auditID === created.auditID).map((e) => e.stage), ["RequestReceived", "ResponseComplete"]);
    const refused = await waitFor(() => events().find((e) => e.impersonatedUser?.username === "mallory" && e.stage === "ResponseComplete"), { message: "the refused list's event" });
    assert.equal(refused.verb, "list");
    assert.equal(refused.responseStatus?.code, 403);
    assert.equal(refused.annotations?.["authorization.k8s.io/decision"], "forbid");
  });

  test("a port-forward upgrade (SPDY tunnelled in a WebSocket) is audited as create on pods/portforward, code 101 once it closes", async () => {
    // A raw handshake: the subprotocol's "/" is not an HTTP token, so the ws client refuses to offer it (kubectl's gorilla client does).
    const tls = clientTls("admin");
    const path = "/api/v1/namespaces/default/pods/tunnel/portforward";
    const socket = tlsConnect({ host: "127.0.0.1", port: Number(new URL(url).port), ca: readFileSync(tls.caFile), cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) });
    await once(socket, "secureConnect");
    socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: SPDY/3.1+portforward.k8s.io\r\n\r\n`);
    let answer = "";
    while (!answer.includes("\r\n\r\n")) answer += ((await once(socket, "data"))[0] as Buffer).toString("latin1");
    assert.match(answer, /^HTTP\/1\.1 101 /);
    assert.match(answer, /^Sec-WebSocket-Protocol: SPDY\/3\.1\+portforward\.k8s\.io\r$/im);
    socket.destroy();
    const done = await waitFor(() => events().find((e) => e.requestURI === path && e.stage === "ResponseComplete"), { timeoutMs: 20_000, message: "the port-forward's event" });
    assert.equal(done.verb, "create");
    assert.equal(done.responseStatus?.code, 101);
    assert.equal(done.annotations?.["authorization.k8s.io/decision"], "allow");
  });
});

describe("REST API: shutdown", () => {
  test("stopping an apiserver ends its open REST watches and does not wait out the grace period", async () => {
    const replica = await cluster.addApiserver({ publishWatchEvents: false });
    const { request } = await import("node:https");
    const tls = clientTls("admin");
    const ended = new Promise<void>((resolve, reject) => {
      const req = request(`${replica.restUrl!}/api/v1/namespaces/default/configmaps?watch=1`, { ca: readFileSync(tls.caFile), cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) }, (res) => {
        res.on("data", () => undefined);
        res.on("end", resolve);
        res.on("error", reject);
      });
      req.on("error", reject);
      req.end();
    });
    // The watch is open once its first event (a configmap made for it) arrives.
    await postTo(replica.restUrl!, "/api/v1/namespaces/default/configmaps", JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "before-stop" } }));
    const started = Date.now();
    await replica.stop();
    await ended;
    // testConfig's shutdownGracePeriod is 2 s: a stop that waited for the watch would take that long.
    assert.ok(Date.now() - started < 1500, `stopped in ${Date.now() - started} ms`);
  });
});

function postTo(base: string, path: string, body: string): Promise<{ status: number }> {
  return restRequest(`${base}${path}`, { method: "POST", body });
}
