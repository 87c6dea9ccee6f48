// kpctl against a real apiserver process on real etcd and NATS: apply, get, describe, delete, errors.
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import { kpctlTlsFlags, startEtcd, startNats, startServiceProcess, waitFor, type EtcdCluster, type NatsServer, type ServiceProcess } from "@kubeplane/testing";
import { run } from "../src/index.js";

const apiserverMain = fileURLToPath(new URL("../../apiserver/src/main.ts", import.meta.url));
const controllerManagerMain = fileURLToPath(new URL("../../controller-manager/src/main.ts", import.meta.url));
const nginxManifest = fileURLToPath(new URL("../../../infra/examples/nginx-deployment.yaml", import.meta.url));

let etcd: EtcdCluster;
let nats: NatsServer;
let apiserver: ServiceProcess;
let controllerManager: ServiceProcess | undefined;
let dir: string;

before(async () => {
  [etcd, nats] = await Promise.all([startEtcd(), startNats()]);
  apiserver = await startServiceProcess({ entry: apiserverMain, flags: { "etcd-endpoints": etcd.endpoints.join(","), "nats-url": nats.url } });
  dir = await mkdtemp(join(tmpdir(), "kpctl-test-"));
});
after(async () => {
  await controllerManager?.kill();
  await apiserver?.kill();
  await Promise.allSettled([etcd?.stop(), nats?.stop()]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Runs kpctl in-process against the test apiserver; a context file that does not exist keeps the user's out. */
async function kpctl(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await run([...args, `--server=${apiserver.grpcAddress}`, ...kpctlTlsFlags()], {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    stdin: (async function* () {})(),
    env: { KUBEPLANE_CONFIG: join(dir, "no-config") },
  });
  return { code, stdout, stderr };
}

describe("kpctl on a real apiserver", () => {
  test("apply of the nginx Deployment stores it; get deploy prints it in a table", async () => {
    const created = await kpctl("apply", "-f", nginxManifest);
    assert.equal(created.code, 0, created.stderr);
    assert.equal(created.stdout.trim(), "deployment.apps/nginx-deployment created");
    const again = await kpctl("apply", "-f", nginxManifest);
    assert.equal(again.stdout.trim(), "deployment.apps/nginx-deployment unchanged");

    const table = await kpctl("get", "deploy");
    assert.equal(table.code, 0, table.stderr);
    const [header, row] = table.stdout.trimEnd().split("\n");
    assert.match(header!, /^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE$/);
    assert.match(row!, /^nginx-deployment\s+0\/2\s+0\s+0\s+\d+s$/);

    const json = await kpctl("get", "deployment", "nginx-deployment", "-o", "json");
    const obj = JSON.parse(json.stdout) as { spec: { replicas: number; strategy: { type: string }; template: { spec: { containers: { image: string; ports: { containerPort: number; protocol: string }[] }[] } } } };
    assert.equal(obj.spec.replicas, 2);
    assert.equal(obj.spec.template.spec.containers[0]!.image, "nginx:1.7.9");
    assert.deepEqual(obj.spec.template.spec.containers[0]!.ports[0], { containerPort: 80, protocol: "TCP" });
    assert.equal(obj.spec.strategy.type, "RollingUpdate", "server-side defaults are filled");
  });

  test("a changed manifest is configured; describe shows it; delete removes it", async () => {
    const changed = (await readFile(nginxManifest, "utf8")).replace("replicas: 2", "replicas: 3");
    const file = join(dir, "nginx-3.yaml");
    await writeFile(file, changed);
    const applied = await kpctl("apply", "-f", file);
    assert.equal(applied.stdout.trim(), "deployment.apps/nginx-deployment configured");
    const described = await kpctl("describe", "deploy", "nginx-deployment");
    assert.equal(described.code, 0, described.stderr);
    assert.match(described.stdout, /^Name:\s+nginx-deployment$/m);
    assert.match(described.stdout, /^Replicas:\s+3 desired/m);
    const deleted = await kpctl("delete", "-f", file);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.match(deleted.stdout, /deployment.apps "nginx-deployment" deleted/);
    const missing = await kpctl("get", "deploy", "nginx-deployment");
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /Error from server \(NotFound\): deployments.apps "nginx-deployment" not found/);
  });

  test("an invalid manifest is refused with the field paths and a non-zero exit", async () => {
    const file = join(dir, "bad.yaml");
    await writeFile(
      file,
      [
        "apiVersion: v1",
        "kind: Pod",
        "metadata:",
        "  name: Bad_Name",
        "spec:",
        "  containers:",
        "  - name: web",
        "---",
        "apiVersion: example.com/v9",
        "kind: Gizmo",
        "metadata:",
        "  name: g",
      ].join("\n"),
    );
    const out = await kpctl("apply", "-f", file);
    assert.equal(out.code, 1);
    assert.match(out.stderr, /Error from server \(Invalid\):.*metadata\.name/);
    assert.match(out.stderr, /spec\.containers\[0\]\.image: Required value/);
    assert.match(out.stderr, /no matches for kind "Gizmo" in version "example.com\/v9"/);
  });

  test("create namespace, get ns and version", async () => {
    const created = await kpctl("create", "namespace", "team-a");
    assert.equal(created.stdout.trim(), "namespace/team-a created");
    const ns = await kpctl("get", "ns");
    for (const name of ["default", "kube-system", "kube-public", "team-a"]) assert.match(ns.stdout, new RegExp(`^${name}\\s+Active\\s+`, "m"));
    const version = await kpctl("version");
    assert.match(version.stdout, /^Client Version: v\d/m);
    assert.match(version.stdout, /^Server Version: v0\.1\.0/m);
  });
});

describe("kpctl with the controller-manager", () => {
  test("scale, rollout history and rollout undo work on a Deployment the controllers roll out", async () => {
    controllerManager = await startServiceProcess({
      entry: controllerManagerMain,
      flags: { apiserver: apiserver.grpcAddress, "nats-url": nats.url, "leader-elect": "false", controllers: "deployment,replicaset" },
    });
    const manifest = (await readFile(nginxManifest, "utf8")).replace("name: nginx-deployment", "name: web");
    const v1 = join(dir, "web-v1.yaml");
    const v2 = join(dir, "web-v2.yaml");
    await writeFile(v1, manifest);
    await writeFile(v2, manifest.replace("image: nginx:1.7.9", "image: nginx:1.9.1"));
    assert.equal((await kpctl("apply", "-f", v1)).code, 0);
    await waitFor(async () => /^1\s/m.test((await kpctl("rollout", "history", "deployment/web")).stdout), { message: "revision 1" });
    assert.equal((await kpctl("apply", "-f", v2)).stdout.trim(), "deployment.apps/web configured");
    await waitFor(async () => /^2\s/m.test((await kpctl("rollout", "history", "deployment/web")).stdout), { message: "revision 2" });

    const undo = await kpctl("rollout", "undo", "deployment/web");
    assert.equal(undo.code, 0, undo.stderr);
    assert.equal(undo.stdout.trim(), "deployment.apps/web rolled back");
    const image = async (): Promise<string> => {
      const d = JSON.parse((await kpctl("get", "deploy", "web", "-o", "json")).stdout) as { spec: { template: { spec: { containers: { image: string }[] } } } };
      return d.spec.template.spec.containers[0]!.image;
    };
    assert.equal(await image(), "nginx:1.7.9");
    await waitFor(async () => /^3\s/m.test((await kpctl("rollout", "history", "deployment/web")).stdout), { message: "the old template becomes revision 3" });

    const scaled = await kpctl("scale", "deployment", "web", "--replicas=4");
    assert.equal(scaled.stdout.trim(), "deployment.apps/web scaled");
    await waitFor(async () => /^web\s+0\/4\s/m.test((await kpctl("get", "deploy", "web")).stdout), { message: "4 desired" });
    // No kubelet runs, so no pod ever becomes available and the old ReplicaSet cannot shrink: the
    // scale to 4 is spread proportionally over both ReplicaSets up to replicas + maxSurge (25% of 4
    // rounded up = 1), i.e. 5 pods (Kubernetes' arithmetic).
    const pods = await waitFor(async () => {
      const out = (await kpctl("get", "pods", "-l", "app=nginx")).stdout.trim().split("\n").slice(1).filter((l) => l.startsWith("web-"));
      return out.length === 5 ? out : undefined;
    }, { message: "5 web pods (4 replicas + 1 surge)" });
    const desired = (await kpctl("get", "rs")).stdout.trim().split("\n").slice(1).filter((l) => l.startsWith("web-")).map((l) => Number(l.split(/\s+/)[1]));
    assert.equal(desired.reduce((a, b) => a + b, 0), 5, `ReplicaSets' desired sizes ${desired.join("+")}`);
    assert.equal(pods.length, 5);
  });
});
