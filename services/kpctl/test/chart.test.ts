// kpctl chart against a real apiserver on real etcd and NATS: install, upgrade, rollback, history, uninstall, lint, --atomic.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import { kpctlTlsFlags, serviceEntry, startControlPlane, startServiceProcess, type ControlPlane, type ServiceProcess } from "@kubeplane/testing";
import { decodeRelease } from "../src/commands/chart-release-store.js";
import { run } from "../src/index.js";

const webChart = fileURLToPath(new URL("../../../charts/examples/web", import.meta.url));

let cp: ControlPlane;
let controllerManager: ServiceProcess | undefined;
let dir: string;

before(async () => {
  cp = await startControlPlane();
  dir = await mkdtemp(join(tmpdir(), "kpctl-chart-test-"));
});
after(async () => {
  await controllerManager?.kill();
  await cp?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Runs kpctl in-process against the test apiserver; a context file that does not exist keeps the user's out. */
async function kpctl(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await run([...args, `--server=${cp.apiserver.grpcAddress}`, ...kpctlTlsFlags()], {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    stdin: (async function* () {})(),
    env: { KUBEPLANE_CONFIG: join(dir, "no-config") },
  });
  return { code, stdout, stderr };
}

async function getJson(...args: string[]): Promise<Record<string, any>> {
  const out = await kpctl("get", ...args, "-o", "json");
  assert.equal(out.code, 0, out.stderr);
  return JSON.parse(out.stdout) as Record<string, any>;
}

async function exists(...args: string[]): Promise<boolean> {
  const out = await kpctl("get", ...args);
  if (out.code === 0) return true;
  assert.match(out.stderr, /NotFound/);
  return false;
}

/** history's rows as "REVISION STATUS DESCRIPTION" (UPDATED is Go's ANSIC time, CHART and APP VERSION one word each). */
async function history(name: string): Promise<string[]> {
  const out = await kpctl("chart", "history", name);
  assert.equal(out.code, 0, out.stderr);
  return out.stdout.trim().split("\n").slice(1).map((line) => {
    const m = /^(\d+)\s+\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\s+(\S+)\s+\S+\s+\S+\s+(.*)$/.exec(line);
    assert.ok(m, line);
    return `${m[1]} ${m[2]} ${m[3]}`;
  });
}

describe("kpctl chart on a real apiserver", () => {
  test("install, upgrade --set replicas=5, rollback 1, history of 3 revisions, uninstall removes every object", async () => {
    const installed = await kpctl("chart", "install", "web", webChart);
    assert.equal(installed.code, 0, installed.stderr);
    assert.match(installed.stdout, /^NAME: web\nLAST DEPLOYED: \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\nNAMESPACE: default\nSTATUS: deployed\nREVISION: 1\nNOTES:\nweb serves its page from 2 busybox/);

    const deploy = await getJson("deployment", "web");
    assert.equal(deploy.spec.replicas, 2);
    assert.equal(deploy.metadata.labels["app.kubernetes.io/managed-by"], "kpctl");
    assert.equal(deploy.metadata.annotations["meta.kubeplane.io/release-name"], "web");
    assert.equal(deploy.metadata.annotations["meta.kubeplane.io/release-namespace"], "default");
    for (const kind of ["service", "configmap", "ingress"]) assert.ok(await exists(kind, "web"), `${kind} web`);

    const secret = await getJson("secret", "kp.release.v1.web.v1");
    assert.equal(secret.type, "kubeplane.io/release.v1");
    assert.deepEqual(secret.metadata.labels, { owner: "kubeplane", name: "web", status: "deployed", version: "1" });
    const stored = decodeRelease(secret.data.release as string);
    assert.equal(stored.chart.metadata.name, "web");
    assert.match(stored.manifest, /# Source: web\/templates\/deployment.yaml/);

    const upgraded = await kpctl("chart", "upgrade", "web", webChart, "--set", "replicas=5", "--set", "ingress.enabled=false");
    assert.equal(upgraded.code, 0, upgraded.stderr);
    assert.match(upgraded.stdout, /^Release "web" has been upgraded\.\nNAME: web\n[^]*REVISION: 2\n/);
    assert.equal((await getJson("deployment", "web")).spec.replicas, 5);
    assert.equal(await exists("ingress", "web"), false, "an object dropped from the chart is deleted");
    assert.equal((await getJson("secret", "kp.release.v1.web.v2")).metadata.labels.status, "deployed");
    assert.equal((await getJson("secret", "kp.release.v1.web.v1")).metadata.labels.status, "superseded");

    const rolledBack = await kpctl("chart", "rollback", "web", "1");
    assert.equal(rolledBack.code, 0, rolledBack.stderr);
    assert.equal(rolledBack.stdout, "Rollback was a success.\n");
    assert.equal((await getJson("deployment", "web")).spec.replicas, 2);
    assert.ok(await exists("ingress", "web"), "revision 1's Ingress is back");

    assert.deepEqual(await history("web"), ["1 superseded Install complete", "2 superseded Upgrade complete", "3 deployed Rollback to 1"]);
    const list = await kpctl("chart", "list");
    assert.match(list.stdout, /^NAME\s+NAMESPACE\s+REVISION\s+UPDATED\s+STATUS\s+CHART\s+APP VERSION\nweb\s+default\s+3\s+.+\s+deployed\s+web-0\.1\.0\s+1\.36\n$/);

    const removed = await kpctl("chart", "uninstall", "web");
    assert.equal(removed.code, 0, removed.stderr);
    assert.equal(removed.stdout, 'release "web" uninstalled\n');
    for (const kind of ["deployment", "service", "configmap", "ingress"]) assert.equal(await exists(kind, "web"), false, `${kind} web is gone`);
    const secrets = await kpctl("get", "secrets", "-l", "owner=kubeplane,name=web");
    assert.doesNotMatch(secrets.stdout, /kp\.release/, "the release records are gone");
    const status = await kpctl("chart", "status", "web");
    assert.equal(status.code, 1);
    assert.match(status.stderr, /release: not found/);
  });

  test("lint refuses values that break the schema, naming the path; a template error names file and line", async () => {
    const good = await kpctl("chart", "lint", webChart);
    assert.equal(good.code, 0, good.stdout + good.stderr);
    assert.match(good.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);

    const bad = await kpctl("chart", "lint", webChart, "--set", "replicas=-1,service.port=http");
    assert.equal(bad.code, 1);
    assert.match(bad.stdout, /\[ERROR\] values.yaml: values don't meet the specifications of the schema\(s\)/);
    assert.match(bad.stdout, /- at '\/replicas': must be >= 0/);
    assert.match(bad.stdout, /- at '\/service\/port': must be integer/);
    assert.match(bad.stdout, /1 chart\(s\) linted, 1 chart\(s\) failed/);

    const template = await kpctl("chart", "template", "web", webChart, "--set", "ingress.host=");
    assert.equal(template.code, 1);
    assert.match(template.stderr, /template: web\/templates\/ingress.yaml:13: execution error: ingress.host is required/);

    const refused = await kpctl("chart", "install", "bad", webChart, "--set", "replicas=lots");
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /at '\/replicas': must be integer/);
    assert.equal(await exists("deployment", "bad-web"), false, "nothing is installed from values the schema refuses");
  });

  test("upgrade --atomic that never becomes ready rolls back; objects of another owner are not taken over; --history-max prunes", async () => {
    // The Deployment controller observes the Deployments; no kubelet runs, so a pod never becomes
    // available: a release of 0 replicas is ready at once, one of 4 never is.
    controllerManager = await startServiceProcess({
      entry: serviceEntry("controller-manager"),
      flags: { apiserver: cp.apiserver.grpcAddress, "nats-url": cp.nats.url, "leader-elect": "false", controllers: "deployment,replicaset" },
    });
    const installed = await kpctl("chart", "install", "shop", webChart, "--set", "replicas=0,ingress.enabled=false", "--wait", "--timeout", "60s");
    assert.equal(installed.code, 0, installed.stderr);
    assert.match(installed.stdout, /STATUS: deployed/);
    const failed = await kpctl("chart", "upgrade", "shop", webChart, "--set", "replicas=4,ingress.enabled=false", "--atomic", "--timeout", "3s");
    assert.equal(failed.code, 1);
    assert.match(failed.stdout, /Waiting for deployment "shop-web" rollout to finish: 0 of 4 updated replicas are available\.\.\./);
    assert.match(failed.stdout, /upgrade failed, rolling back to revision 1 due to --atomic/);
    assert.match(failed.stderr, /UPGRADE FAILED: release shop failed, and has been rolled back due to atomic being set: timed out waiting for the condition/);
    assert.equal((await getJson("deployment", "shop-web")).spec.replicas, 0, "back to revision 1's replicas");
    const rows = await history("shop");
    assert.deepEqual(rows.map((r) => r.split(" ").slice(0, 2).join(" ")), ["1 superseded", "2 failed", "3 deployed"]);
    assert.equal(rows[2], "3 deployed Rollback to 1");

    for (let i = 0; i < 2; i++) assert.equal((await kpctl("chart", "upgrade", "shop", webChart, "--set", `replicas=${i},ingress.enabled=false`, "--history-max", "2")).code, 0);
    assert.deepEqual((await history("shop")).map((r) => r.split(" ")[0]), ["4", "5"]);

    assert.equal((await kpctl("create", "namespace", "other")).code, 0);
    const clash = await kpctl("chart", "install", "shop", webChart, "-n", "other", "--set", "fullnameOverride=shop-web,ingress.enabled=false");
    assert.equal(clash.code, 0, "a release of the same name in another namespace is its own");
    const taken = await kpctl("chart", "install", "thief", webChart, "--set", "fullnameOverride=shop-web,ingress.enabled=false");
    assert.equal(taken.code, 1);
    assert.match(taken.stderr, /ConfigMap "shop-web" in namespace "default" exists and cannot be imported into the current release: invalid ownership metadata; annotation validation error: key "meta.kubeplane.io\/release-name" must equal "thief": current value is "shop"/);
    const all = await kpctl("chart", "list", "-A");
    assert.match(all.stdout, /^shop\s+default\s+5\s/m);
    assert.match(all.stdout, /^shop\s+other\s+1\s/m);
    assert.match(all.stdout, /^thief\s+default\s+1\s.*failed/m);
  });
});
