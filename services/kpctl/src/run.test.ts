// Tests of kpctl end to end through run(), over an in-memory fake of the apiserver's JSON API.
import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { test } from "node:test";
import { apiErrors, kindFor, type KindInfo } from "@kubeplane/api";
import { FakeApi, fakeIo } from "./fake-client-test-support.js";
import { str } from "./json-fields.js";
import { run } from "./run.js";

const kind = (apiVersion: string, k: string): KindInfo => kindFor(apiVersion, k) as KindInfo;
const stdin = (text: string): AsyncIterable<Buffer> => Readable.from([Buffer.from(text)]);

const nginx = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: nginx
spec:
  replicas: 2
  selector: {matchLabels: {app: nginx}}
  template:
    metadata: {labels: {app: nginx}}
    spec:
      containers: [{name: nginx, image: "nginx:1.27"}]
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: nginx}
  ports: [{port: 80}]
`;

test("apply creates, then reports unchanged, then configured after an edit", async () => {
  const api = new FakeApi();
  let io = fakeIo(api, { stdin: stdin(nginx) });
  assert.equal(await run(["apply", "-f", "-"], io), 0);
  assert.equal(io.stdout.text, "deployment.apps/nginx created\nservice/web created\n");
  assert.equal(api.store.has("deployments/default/nginx"), true);

  io = fakeIo(api, { stdin: stdin(nginx) });
  assert.equal(await run(["apply", "-f", "-"], io), 0);
  assert.equal(io.stdout.text, "deployment.apps/nginx unchanged\nservice/web unchanged\n");

  io = fakeIo(api, { stdin: stdin(nginx.replace("replicas: 2", "replicas: 3")) });
  assert.equal(await run(["apply", "-f", "-"], io), 0);
  assert.equal(io.stdout.text, "deployment.apps/nginx configured\nservice/web unchanged\n");
  assert.equal(((await api.get(kind("apps/v1", "Deployment"), "default", "nginx")).spec as { replicas: number }).replicas, 3);
});

test("apply puts objects in -n's namespace and --dry-run=server writes nothing", async () => {
  const api = new FakeApi();
  const io = fakeIo(api, { stdin: stdin(nginx) });
  assert.equal(await run(["apply", "-f", "-", "-n", "prod", "--dry-run=server"], io), 0);
  assert.equal(io.stdout.text, "deployment.apps/nginx created (server dry run)\nservice/web created (server dry run)\n");
  assert.deepEqual(api.calls, ["create deployments nginx dry-run", "create services web dry-run"]);
  assert.equal(api.store.size, 0);
});

test("apply reports an unknown kind and a server rejection, continues, and exits 1", async () => {
  const api = new FakeApi();
  api.failCreate = (obj) => ((obj.metadata as { name: string }).name === "web" ? apiErrors.apiError("Invalid", 'Service "web" is invalid: spec.ports[0].port: Invalid value: 0') : undefined);
  const text = `apiVersion: v9\nkind: Foo\nmetadata: {name: x}\n---\n${nginx}`;
  const io = fakeIo(api, { stdin: stdin(text) });
  assert.equal(await run(["apply", "-f", "-"], io), 1);
  assert.equal(io.stdout.text, "deployment.apps/nginx created\n");
  assert.equal(
    io.stderr.text,
    'error: resource mapping not found for name: "x" namespace: "" from "STDIN": no matches for kind "Foo" in version "v9"\n' +
      'Error from server (Invalid): Service "web" is invalid: spec.ports[0].port: Invalid value: 0\n',
  );
});

test("apply retries an update that lost a race (Conflict)", async () => {
  const api = new FakeApi();
  await run(["apply", "-f", "-"], fakeIo(api, { stdin: stdin(nginx) }));
  const realUpdate = api.update.bind(api);
  let conflicts = 1;
  api.update = async (info, obj, opts) => {
    if (conflicts-- > 0) throw apiErrors.staleConflict({ group: "apps", resource: "deployments", name: "nginx" });
    return realUpdate(info, obj, opts);
  };
  const io = fakeIo(api, { stdin: stdin(nginx.replace("replicas: 2", "replicas: 5")) });
  assert.equal(await run(["apply", "-f", "-"], io), 0);
  assert.match(io.stdout.text, /deployment.apps\/nginx configured/);
});

const pod = (name: string, ns = "default") => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace: ns, labels: { app: "web" }, creationTimestamp: "2026-03-01T11:59:00Z" },
  spec: { nodeName: "worker-1", containers: [{ name: "app", image: "web:1", ports: [{ containerPort: 8080 }] }] },
  status: { phase: "Running", podIP: "10.244.0.5", containerStatuses: [{ name: "app", ready: true, restartCount: 0, state: { running: {} } }] },
});

test("get prints kubectl's table, NotFound for a missing name, and No resources found when empty", async () => {
  const api = new FakeApi();
  api.seed(kind("v1", "Pod"), pod("web-0"));
  api.seed(kind("v1", "Pod"), pod("web-1", "other"));
  let io = fakeIo(api);
  assert.equal(await run(["get", "po"], io), 0);
  assert.equal(io.stdout.text, "NAME    READY   STATUS    RESTARTS   AGE\nweb-0   1/1     Running   0          60s\n");

  io = fakeIo(api);
  assert.equal(await run(["get", "pods", "-A", "-o", "wide"], io), 0);
  assert.match(io.stdout.text, /^NAMESPACE   NAME    READY   STATUS    RESTARTS   AGE   IP           NODE       NOMINATED NODE   READINESS GATES\n/);
  assert.match(io.stdout.text, /other       web-1 /);

  io = fakeIo(api);
  assert.equal(await run(["get", "pod", "web-0", "ghost"], io), 1);
  assert.match(io.stdout.text, /web-0/);
  assert.equal(io.stderr.text, 'Error from server (NotFound): pods "ghost" not found\n');

  io = fakeIo(api);
  assert.equal(await run(["get", "deploy", "-n", "empty"], io), 0);
  assert.equal(io.stdout.text, "");
  assert.equal(io.stderr.text, "No resources found in empty namespace.\n");
});

test("get -o name, -o json of one object and -o yaml of several as a List", async () => {
  const api = new FakeApi();
  api.seed(kind("v1", "Pod"), pod("web-0"));
  api.seed(kind("v1", "Pod"), pod("web-1"));
  let io = fakeIo(api);
  await run(["get", "pods", "-o", "name", "-l", "app=web"], io);
  assert.equal(io.stdout.text, "pod/web-0\npod/web-1\n");
  io = fakeIo(api);
  await run(["get", "pod/web-0", "-o", "json"], io);
  assert.equal((JSON.parse(io.stdout.text) as { metadata: { name: string } }).metadata.name, "web-0");
  io = fakeIo(api);
  await run(["get", "pods", "-o", "yaml"], io);
  assert.match(io.stdout.text, /^apiVersion: v1\nitems:\n/);
  assert.match(io.stdout.text, /kind: List/);
});

test("get of an unknown type says the server has no such resource type", async () => {
  const io = fakeIo(new FakeApi());
  assert.equal(await run(["get", "widgets"], io), 1);
  assert.equal(io.stderr.text, 'error: the server doesn\'t have a resource type "widgets"\n');
});

test("get -w prints the table, then each change, until the signal aborts", async () => {
  const api = new FakeApi();
  const info = kind("v1", "Pod");
  api.seed(info, pod("web-0"));
  const changed = pod("web-0");
  changed.status.phase = "Succeeded";
  changed.status.containerStatuses = [];
  api.watchEvents.push({ type: "MODIFIED", object: changed, revision: 102 });
  const controller = new AbortController();
  const io = fakeIo(api, { signal: controller.signal });
  const done = run(["get", "pods", "-w"], io);
  const deadline = Date.now() + 5000;
  while (!io.stdout.text.includes("Succeeded") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  controller.abort();
  assert.equal(await done, 0);
  assert.deepEqual(io.stdout.text.split("\n").slice(0, 3), [
    "NAME    READY   STATUS    RESTARTS   AGE",
    "web-0   1/1     Running   0          60s",
    // kubectl flushes its tabwriter per event, so a watched row is aligned on its own.
    "web-0   0/1   Succeeded   0     60s",
  ]);
  assert.ok(api.calls.includes("watch from 101"));
});

test("describe shows the header, the pod's containers and its events (not a deleted namesake's)", async () => {
  const api = new FakeApi();
  const uid = str(api.seed(kind("v1", "Pod"), pod("web-0")), "metadata", "uid");
  // A deleted namesake's event: not about this pod.
  api.seed(kind("v1", "Event"), {
    apiVersion: "v1",
    kind: "Event",
    metadata: { name: "web-0.0", namespace: "default" },
    involvedObject: { kind: "Pod", name: "web-0", namespace: "default", uid: "uid-of-an-older-web-0" },
    type: "Warning",
    reason: "BackOff",
    message: "an older pod's event",
    source: { component: "kubelet" },
    lastTimestamp: "2026-03-01T11:00:00Z",
  });
  api.seed(kind("v1", "Event"), {
    apiVersion: "v1",
    kind: "Event",
    metadata: { name: "web-0.1", namespace: "default" },
    involvedObject: { kind: "Pod", name: "web-0", namespace: "default", uid },
    type: "Normal",
    reason: "Scheduled",
    message: "Successfully assigned default/web-0 to worker-1",
    source: { component: "default-scheduler" },
    lastTimestamp: "2026-03-01T11:59:50Z",
  });
  const io = fakeIo(api);
  assert.equal(await run(["describe", "pod", "web-0"], io), 0);
  const out = io.stdout.text;
  assert.match(out, /^Name:\s+web-0\nNamespace:\s+default\n/);
  assert.match(out, /Labels:\s+app=web\n/);
  assert.match(out, /Node:\s+worker-1\//);
  assert.match(out, /Containers:\n  app:\n/);
  assert.match(out, /Image:\s+web:1\n/);
  assert.match(out, /Port:\s+8080\/TCP\n/);
  assert.match(out, /Events:\n  Type\s+Reason\s+Age\s+From\s+Message\n  ----\s+------\s+----\s+----\s+-------\n  Normal\s+Scheduled\s+10s\s+default-scheduler\s+Successfully assigned default\/web-0 to worker-1\n$/);
});

test("describe orders events of the same second by write order", async () => {
  const api = new FakeApi();
  const uid = str(api.seed(kind("v1", "Pod"), pod("web-0")), "metadata", "uid");
  const event = (name: string, reason: string, message: string) => ({
    apiVersion: "v1",
    kind: "Event",
    metadata: { name, namespace: "default" },
    involvedObject: { kind: "Pod", name: "web-0", namespace: "default", uid },
    type: "Normal",
    reason,
    message,
    source: { component: "kubelet" },
    lastTimestamp: "2026-03-01T11:59:50Z",
  });
  const started = event("web-0.a", "Started", "Started container app");
  api.seed(kind("v1", "Event"), started);
  api.seed(kind("v1", "Event"), event("web-0.b", "Created", "Created container app"));
  // Written again (a later resourceVersion) but listed first: the list order is not the write order.
  api.seed(kind("v1", "Event"), started);
  const io = fakeIo(api);
  assert.equal(await run(["describe", "pod", "web-0"], io), 0);
  assert.match(io.stdout.text, /Normal\s+Created\s+10s\s+kubelet\s+Created container app\n  Normal\s+Started\s+10s\s+kubelet\s+Started container app\n$/);
});

test("describe without events says Events: <none>", async () => {
  const api = new FakeApi();
  api.seed(kind("v1", "ConfigMap"), { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "cfg", namespace: "default" }, data: { a: "1" } });
  const io = fakeIo(api);
  assert.equal(await run(["describe", "cm", "cfg"], io), 0);
  assert.match(io.stdout.text, /Data:\n  A:\s+1\n/);
  assert.match(io.stdout.text, /Events:\s+<none>\n$/);
});

test("delete prints deleted, fails on NotFound unless --ignore-not-found, and passes cascade and grace", async () => {
  const api = new FakeApi();
  api.seed(kind("apps/v1", "Deployment"), { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "nginx", namespace: "default" } });
  let io = fakeIo(api);
  assert.equal(await run(["delete", "deploy", "nginx", "--cascade=orphan", "--grace-period", "0", "--wait=false"], io), 0);
  assert.equal(io.stdout.text, 'deployment.apps "nginx" deleted\n');
  assert.deepEqual(api.calls, ["delete deployments nginx Orphan grace=0"]);
  io = fakeIo(api);
  assert.equal(await run(["delete", "deploy", "nginx"], io), 1);
  assert.equal(io.stderr.text, 'Error from server (NotFound): deployments.apps "nginx" not found\n');
  io = fakeIo(api);
  assert.equal(await run(["delete", "deploy", "nginx", "--ignore-not-found"], io), 0);
});

test("create namespace and version", async () => {
  const api = new FakeApi();
  let io = fakeIo(api);
  assert.equal(await run(["create", "namespace", "team-a"], io), 0);
  assert.equal(io.stdout.text, "namespace/team-a created\n");
  io = fakeIo(api);
  assert.equal(await run(["create", "ns", "team-a"], io), 1);
  assert.equal(io.stderr.text, 'Error from server (AlreadyExists): namespaces "team-a" already exists\n');
  io = fakeIo(api);
  assert.equal(await run(["version"], io), 0);
  assert.equal(io.stdout.text, "Client Version: v0.1.0\nServer Version: v0.1.0-test\n");
});

test("help, unknown commands and bad flags", async () => {
  let io = fakeIo(new FakeApi());
  assert.equal(await run(["apply", "--help"], io), 0);
  assert.match(io.stdout.text, /Usage:\n  kpctl apply \(-f FILENAME\) \[options\]\n/);
  io = fakeIo(new FakeApi());
  assert.equal(await run(["frobnicate"], io), 1);
  assert.match(io.stderr.text, /unknown command "frobnicate"/);
  io = fakeIo(new FakeApi());
  assert.equal(await run(["get", "pods", "--bogus"], io), 1);
  assert.equal(io.stderr.text, "error: unknown flag: --bogus\nSee 'kpctl get --help' for usage.\n");
});

test("a server that cannot be reached is named in the error", async () => {
  const io = fakeIo(new FakeApi());
  delete io.connect;
  assert.equal(await run(["get", "pods", "--server", "127.0.0.1:1", "--request-timeout=5s"], io), 1);
  assert.match(io.stderr.text, /^Unable to connect to the server 127\.0\.0\.1:1: /);
});
