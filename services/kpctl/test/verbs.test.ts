// kpctl's everyday verbs against one real control plane (etcd, NATS, apiserver): each verb run, its effect read back from the apiserver.
import assert from "node:assert/strict";
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { kindFor, type KindInfo } from "@kubeplane/api";
import { ApiClient, type JsonObject } from "@kubeplane/client";
import { clientTls, kpctlTlsFlags, startControlPlane, waitFor, type ControlPlane } from "@kubeplane/testing";
import { run } from "../src/index.js";

const kind = (apiVersion: string, k: string): KindInfo => kindFor(apiVersion, k) as KindInfo;
const NS = "verbs";

let cp: ControlPlane;
let client: ApiClient;
let dir: string;

before(async () => {
  cp = await startControlPlane();
  client = ApiClient.connect({ ...clientTls(), server: cp.apiserver.grpcAddress });
  dir = await mkdtemp(join(tmpdir(), "kpctl-verbs-"));
  const ns = await kpctl("create", "namespace", NS);
  assert.equal(ns.code, 0, ns.stderr);
});
after(async () => {
  client?.close();
  await cp?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

type Options = { env?: Record<string, string>; signal?: AbortSignal; onOutput?: (stdout: string) => void };

/** Runs kpctl in-process in namespace `verbs` against the test apiserver; options add env, a Ctrl-C signal, an output observer. */
async function kpctl(...args: (string | Options)[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const opts = args.find((a): a is Options => typeof a !== "string") ?? {};
  let stdout = "";
  let stderr = "";
  // Global flags first: anything after a `--` belongs to the command line of the container.
  const code = await run([`--server=${cp.apiserver.grpcAddress}`, ...kpctlTlsFlags(), "-n", NS, ...args.filter((a): a is string => typeof a === "string")], {
    stdout: {
      write: (s: string) => {
        stdout += s;
        opts.onOutput?.(stdout);
      },
    },
    stderr: { write: (s: string) => (stderr += s) },
    stdin: (async function* () {})(),
    env: { KUBEPLANE_CONFIG: join(dir, "no-config"), ...opts.env },
    signal: opts.signal,
  });
  return { code, stdout, stderr };
}

async function ok(...args: (string | Options)[]): Promise<string> {
  const r = await kpctl(...args);
  assert.equal(r.code, 0, `kpctl ${args.filter((a) => typeof a === "string").join(" ")}: ${r.stderr}`);
  return r.stdout;
}

const stored = (apiVersion: string, k: string, name: string): Promise<JsonObject> => client.json.get(kind(apiVersion, k), NS, name);

describe("kpctl verbs on a real apiserver", () => {
  test("run creates pods; get -o jsonpath prints their names; custom-columns and --sort-by read them", async () => {
    assert.equal(await ok("run", "alpha", "--image=busybox:1.36", "--labels=app=demo,tier=a", "--port=8080", "--", "sleep", "3600"), "pod/alpha created\n");
    assert.equal(await ok("run", "beta", "--image=busybox:1.36", "--labels=app=demo,tier=b", "--restart=Never", "--env=MODE=x"), "pod/beta created\n");
    const pod = await stored("v1", "Pod", "alpha");
    assert.deepEqual((pod.spec as { containers: { args: string[]; ports: { containerPort: number }[] }[] }).containers[0]?.args, ["sleep", "3600"]);

    assert.equal(await ok("get", "pods", "-o", "jsonpath={.items[*].metadata.name}"), "alpha beta");
    assert.equal(await ok("get", "pods", "-o", 'jsonpath={range .items[?(@.spec.restartPolicy=="Never")]}{.metadata.name}{"\\n"}{end}'), "beta\n");
    assert.equal(await ok("get", "pods", "-o", "custom-columns=NAME:.metadata.name,TIER:.metadata.labels.tier", "--sort-by=.metadata.labels.tier", "--no-headers"), "alpha   a\nbeta    b\n");
    assert.match(await ok("get", "pods", "-L", "tier", "--show-labels"), /^beta\s.*\sb\s+app=demo,tier=b$/m);
  });

  test("label and annotate change the stored object; an overwrite needs --overwrite", async () => {
    assert.equal(await ok("label", "pods", "-l", "app=demo", "team=x"), "pod/alpha labeled\npod/beta labeled\n");
    const refused = await kpctl("label", "pod/alpha", "team=y");
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /'team' already has a value \(x\), and --overwrite is false/);
    await ok("label", "pod/alpha", "team=y", "tier-", "--overwrite");
    assert.deepEqual(((await stored("v1", "Pod", "alpha")).metadata as { labels: unknown }).labels, { app: "demo", team: "y" });
    assert.equal(await ok("annotate", "pod", "beta", "owner=ops"), "pod/beta annotated\n");
    assert.equal(((await stored("v1", "Pod", "beta")).metadata as { annotations: Record<string, string> }).annotations.owner, "ops");
  });

  test("create deployment, then patch (strategic, merge, json), set image/env/resources and edit change it", async () => {
    assert.equal(await ok("create", "deployment", "web", "--image=busybox:1.36", "--image=docker.io/library/nginx:1.27", "--replicas=2"), "deployment.apps/web created\n");
    const containers = async (): Promise<{ name: string; image: string; env?: unknown; resources?: unknown }[]> =>
      ((await stored("apps/v1", "Deployment", "web")).spec as { template: { spec: { containers: never[] } } }).template.spec.containers;
    assert.deepEqual((await containers()).map((c) => c.name), ["busybox", "nginx"]);

    assert.equal(await ok("patch", "deploy", "web", "-p", '{"spec":{"template":{"spec":{"containers":[{"name":"nginx","image":"nginx:1.28"}]}}}}'), "deployment.apps/web patched\n");
    assert.deepEqual((await containers()).map((c) => c.image), ["busybox:1.36", "nginx:1.28"], "strategic: merged by name");
    await ok("patch", "deploy/web", "--type=merge", "-p", '{"spec":{"replicas":3}}');
    await ok("patch", "deploy/web", "--type=json", "-p", '[{"op":"add","path":"/metadata/labels/patched","value":"yes"}]');
    const deployment = await stored("apps/v1", "Deployment", "web");
    assert.equal((deployment.spec as { replicas: number }).replicas, 3);
    assert.equal((deployment.metadata as { labels: Record<string, string> }).labels.patched, "yes");

    assert.equal(await ok("set", "image", "deployment/web", "busybox=busybox:1.37"), "deployment.apps/web image updated\n");
    await ok("set", "env", "deployment/web", "-c", "nginx", "MODE=prod");
    await ok("set", "resources", "deployment/web", "-c", "busybox", "--limits=cpu=200m,memory=64Mi");
    const [busybox, nginx] = await containers();
    assert.equal(busybox?.image, "busybox:1.37");
    assert.deepEqual(nginx?.env, [{ name: "MODE", value: "prod" }]);
    assert.deepEqual(busybox?.resources, { limits: { cpu: "200m", memory: "64Mi" } });

    const editor = join(dir, "editor.sh");
    await writeFile(editor, "#!/bin/sh\nsed -i 's/replicas: 3/replicas: 1/' \"$1\"\n");
    await chmod(editor, 0o755);
    assert.equal(await ok("edit", "deployment/web", { env: { KUBE_EDITOR: editor } }), "deployment.apps/web edited\n");
    assert.equal(((await stored("apps/v1", "Deployment", "web")).spec as { replicas: number }).replicas, 1);
  });

  test("expose makes a Service for the deployment's pods; create configmap/secret/serviceaccount store theirs", async () => {
    assert.equal(await ok("expose", "deployment", "web", "--port=80", "--target-port=8080"), "service/web exposed\n");
    const svc = (await stored("v1", "Service", "web")).spec as { selector: Record<string, string>; ports: { port: number; targetPort: number }[]; clusterIP: string };
    assert.deepEqual(svc.selector, { app: "web" });
    assert.deepEqual([svc.ports[0]?.port, svc.ports[0]?.targetPort], [80, 8080]);
    assert.match(svc.clusterIP, /^\d+\.\d+\.\d+\.\d+$/, "the apiserver allocated an address");

    await ok("create", "configmap", "cfg", "--from-literal=mode=prod");
    await ok("create", "secret", "generic", "db", "--from-literal=password=s3cret");
    await ok("create", "serviceaccount", "robot");
    assert.deepEqual((await stored("v1", "ConfigMap", "cfg")).data, { mode: "prod" });
    assert.equal(Buffer.from(((await stored("v1", "Secret", "db")).data as { password: string }).password, "base64").toString(), "s3cret");
    await stored("v1", "ServiceAccount", "robot");

    const dry = await ok("create", "configmap", "ghost", "--from-literal=a=1", "--dry-run=server", "-o", "yaml");
    assert.match(dry, /^kind: ConfigMap$/m);
    await assert.rejects(stored("v1", "ConfigMap", "ghost"), /not found/);
  });

  test("wait returns when a condition, a JSONPath value or a deletion comes about, and times out otherwise", async () => {
    const pods = kind("v1", "Pod");
    const waiting = kpctl("wait", "pod/alpha", "--for=condition=Ready", "--timeout=20s");
    await waitFor(async () => (await client.json.get(pods, NS, "alpha")).metadata !== undefined);
    const pod = await client.json.get(pods, NS, "alpha");
    await client.json.updateStatus(pods, { ...pod, status: { phase: "Running", conditions: [{ type: "Ready", status: "True" }] } });
    const readyResult = await waiting;
    assert.equal(readyResult.code, 0, readyResult.stderr);
    assert.equal(readyResult.stdout, "pod/alpha condition met\n");

    assert.equal(await ok("wait", "pods", "-l", "app=demo,team=y", "--for=jsonpath={.status.phase}=Running", "--timeout=10s"), "pod/alpha condition met\n");

    const gone = kpctl("wait", "pod/beta", "--for=delete", "--timeout=20s");
    await ok("delete", "pod", "beta", "--grace-period=0", "--wait=false");
    const goneResult = await gone;
    assert.equal(goneResult.stdout, "pod/beta deleted\n", goneResult.stderr);

    const late = await kpctl("wait", "deploy/web", "--for=condition=Available", "--timeout=300ms");
    assert.equal(late.code, 1);
    assert.equal(late.stderr, "error: timed out waiting for the condition on deployments/web\n");
  });

  test("get -w -o jsonpath prints each change; explain, api-resources, api-versions and completion answer from the registry", async () => {
    const stop = new AbortController();
    let seen = "";
    const watching = kpctl("get", "configmaps", "-w", "-o", 'jsonpath={.metadata.name}={.data.k}{"\n"}', { signal: stop.signal, onOutput: (out) => (seen = out) });
    await waitFor(() => seen.includes("cfg="), { message: "the listed configmap" });
    await ok("create", "configmap", "watched", "--from-literal=k=1");
    await waitFor(() => seen.includes("watched=1\n"), { message: "the created configmap as an event" });
    stop.abort();
    assert.equal((await watching).code, 0);

    assert.match(await ok("explain", "deployments.spec.strategy"), /^FIELD: strategy <DeploymentStrategy>$/m);
    assert.match(await ok("api-resources", "--api-group=apps"), /^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m);
    assert.match(await ok("api-versions"), /^apps\/v1$/m);
    assert.match(await ok("completion", "bash"), /complete -o default -F _kpctl kpctl/);
  });

  test("apply -R reads nested directories; diff shows what apply would change and exits 1", async () => {
    const root = join(dir, "manifests");
    await mkdir(join(root, "nested", "deeper"), { recursive: true });
    await writeFile(join(root, "a.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: top}\ndata: {k: v}\n");
    await writeFile(join(root, "nested", "deeper", "b.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep}\ndata: {k: v}\n");
    assert.equal(await ok("apply", "-f", root), "configmap/top created\n", "without -R only the top directory");
    assert.equal(await ok("apply", "-f", root, "-R"), "configmap/top unchanged\nconfigmap/deep created\n");

    const same = await kpctl("diff", "-f", root, "-R");
    assert.equal(same.code, 0, same.stderr);
    assert.equal(same.stdout, "");
    await writeFile(join(root, "a.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: top}\ndata: {k: changed}\n");
    const changed = await kpctl("diff", "-f", root, "-R");
    assert.equal(changed.code, 1, changed.stderr);
    assert.match(changed.stdout, /^-\s+k: v$/m);
    assert.match(changed.stdout, /^\+\s+k: changed$/m);
    assert.deepEqual((await stored("v1", "ConfigMap", "top")).data, { k: "v" }, "diff changes nothing");
  });

  test("the apiserver's warnings print on stderr as kubectl's; a claim without a class gets the default StorageClass", async () => {
    await writeFile(join(dir, "pod.yaml"), "apiVersion: v1\nkind: Pod\nmetadata: {name: old-labels}\nspec:\n  nodeSelector: {beta.kubernetes.io/os: linux}\n  containers: [{name: c, image: busybox}]\n");
    const created = await kpctl("create", "-f", join(dir, "pod.yaml"));
    assert.equal(created.code, 0, created.stderr);
    assert.equal(created.stderr, 'Warning: spec.nodeSelector[beta.kubernetes.io/os]: deprecated since v1.14; use "kubernetes.io/os" instead\n');

    const classes = "apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata: {name: standard, annotations: {storageclass.kubernetes.io/is-default-class: 'true'}}\nprovisioner: kubeplane.io/local\n";
    await writeFile(join(dir, "classes.yaml"), classes);
    await ok("apply", "-f", join(dir, "classes.yaml"));
    const claim = (name: string, cls: string): string =>
      `apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: ${name}}\nspec:\n  accessModes: [ReadWriteOnce]\n  resources: {requests: {storage: 1Gi}}\n${cls}`;
    await writeFile(join(dir, "claims.yaml"), `${claim("data", "")}---\n${claim("no-class", "  storageClassName: ''\n")}`);
    await ok("apply", "-f", join(dir, "claims.yaml"));
    const classOf = async (name: string): Promise<unknown> => ((await stored("v1", "PersistentVolumeClaim", name)) as { spec: { storageClassName?: string } }).spec.storageClassName;
    assert.equal(await classOf("data"), "standard");
    assert.equal(await classOf("no-class"), "", "an explicit empty class stays");
  });
});
