// Tests of `kpctl get`'s output options: jsonpath, custom-columns, --sort-by, -L and --show-labels.
import assert from "node:assert/strict";
import { writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { kindFor, type KindInfo } from "@kubeplane/api";
import { FakeApi, fakeIo } from "../fake-client-test-support.js";
import { run } from "../run.js";

const pods = kindFor("v1", "Pod") as KindInfo;

function seeded(): FakeApi {
  const api = new FakeApi();
  const pod = (name: string, phase: string, labels: Record<string, string>, restarts: number, images: string[]): void => {
    api.seed(pods, {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name, namespace: "default", labels },
      spec: { containers: images.map((image, i) => ({ name: `c${i}`, image })), nodeName: `node-${restarts}` },
      status: { phase, containerStatuses: [{ name: "c0", restartCount: restarts, ready: phase === "Running" }] },
    });
  };
  pod("web-b", "Running", { app: "web", "app.kubernetes.io/tier": "front" }, 3, ["nginx:1.27", "sidecar:1"]);
  pod("db-a", "Pending", { app: "db" }, 0, ["postgres:16"]);
  pod("web-c", "Running", {}, 1, ["nginx:1.27"]);
  return api;
}

test("get -o jsonpath prints the names of a list and filters by phase", async () => {
  const api = seeded();
  let io = fakeIo(api);
  assert.equal(await run(["get", "pods", "-o", "jsonpath={.items[*].metadata.name}"], io), 0);
  assert.equal(io.stdout.text, "web-b db-a web-c");
  io = fakeIo(api);
  assert.equal(await run(["get", "pods", "-o", 'jsonpath={range .items[?(@.status.phase=="Running")]}{.metadata.name}{"\\t"}{.spec.nodeName}{"\\n"}{end}'], io), 0);
  assert.equal(io.stdout.text, "web-b\tnode-3\nweb-c\tnode-1\n");
  io = fakeIo(api);
  assert.equal(await run(["get", "pod", "db-a", "-o=jsonpath={.spec.containers[0].image}"], io), 0);
  assert.equal(io.stdout.text, "postgres:16", "one object by name is the template's data itself");
});

test("get -o jsonpath-file and a bad template", async () => {
  const dir = mkdtempSync(join(tmpdir(), "kpctl-get-"));
  writeFileSync(join(dir, "t"), "{.items[-1:].metadata.name}");
  let io = fakeIo(seeded());
  assert.equal(await run(["get", "pods", "-o", `jsonpath-file=${join(dir, "t")}`], io), 0);
  assert.equal(io.stdout.text, "web-c");
  io = fakeIo(seeded());
  assert.equal(await run(["get", "pods", "-o", "jsonpath={.items[0"], io), 1);
  assert.match(io.stderr.text, /^error: unclosed action/);
  io = fakeIo(seeded());
  assert.equal(await run(["get", "pods", "-o", "go-template={{.x}}"], io), 1);
  assert.match(io.stderr.text, /unable to match a printer suitable for the output format "go-template=\{\{\.x\}\}", allowed formats are: custom-columns,/);
});

test("get -o custom-columns and custom-columns-file, with --sort-by and --no-headers", async () => {
  let io = fakeIo(seeded());
  assert.equal(await run(["get", "pods", "-o", "custom-columns=NAME:.metadata.name,IMAGES:.spec.containers[*].image,TIER:.metadata.labels.app\\.kubernetes\\.io/tier", "--sort-by=.metadata.name"], io), 0);
  assert.equal(io.stdout.text, [
    "NAME    IMAGES                 TIER",
    "db-a    postgres:16            <none>",
    "web-b   nginx:1.27,sidecar:1   front",
    "web-c   nginx:1.27             <none>",
    "",
  ].join("\n"));
  const dir = mkdtempSync(join(tmpdir(), "kpctl-get-"));
  writeFileSync(join(dir, "cols"), "NAME          RESTARTS\n.metadata.name  {.status.containerStatuses[0].restartCount}\n");
  io = fakeIo(seeded());
  assert.equal(await run(["get", "pods", "-o", `custom-columns-file=${join(dir, "cols")}`, "--sort-by={.status.containerStatuses[0].restartCount}", "--no-headers"], io), 0);
  assert.equal(io.stdout.text, "db-a    0\nweb-c   1\nweb-b   3\n");
});

test("get -L adds label columns and --show-labels a LABELS column", async () => {
  const io = fakeIo(seeded());
  assert.equal(await run(["get", "pods", "-L", "app,app.kubernetes.io/tier", "--show-labels", "--sort-by", "metadata.name"], io), 0);
  const lines = io.stdout.text.split("\n");
  assert.match(lines[0] ?? "", /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+APP\s+TIER\s+LABELS$/);
  assert.match(lines[1] ?? "", /^db-a .* db\s+app=db$/);
  assert.match(lines[2] ?? "", /^web-b .* web\s+front\s+app=web,app\.kubernetes\.io\/tier=front$/);
  assert.match(lines[3] ?? "", /^web-c .*\s+<none>$/);
});

test("--sort-by orders quantities by value and names naturally", async () => {
  const api = new FakeApi();
  const pod = (name: string, cpu: string): void => {
    api.seed(pods, { apiVersion: "v1", kind: "Pod", metadata: { name, namespace: "default" }, spec: { containers: [{ name: "c", image: "i", resources: { requests: { cpu } } }] } });
  };
  pod("pod-10", "500m");
  pod("pod-9", "2");
  pod("pod-100", "100m");
  let io = fakeIo(api);
  assert.equal(await run(["get", "pods", "-o", "jsonpath={.items[*].metadata.name}", "--sort-by=.spec.containers[0].resources.requests.cpu"], io), 0);
  assert.equal(io.stdout.text, "pod-100 pod-10 pod-9");
  io = fakeIo(api);
  assert.equal(await run(["get", "pods", "-o", "name", "--sort-by={.metadata.name}"], io), 0);
  assert.equal(io.stdout.text, "pod/pod-9\npod/pod-10\npod/pod-100\n");
});

test("get -w -o jsonpath prints every object alone: the listed ones, then each event's", async () => {
  const api = seeded();
  const created = api.seed(pods, { apiVersion: "v1", kind: "Pod", metadata: { name: "new", namespace: "default" }, status: { phase: "Pending" } });
  api.store.delete("pods/default/new");
  api.watchEvents.push({ type: "ADDED", object: created, revision: 1 });
  const io = fakeIo(api);
  assert.equal(await run(["get", "pods", "-w", "-o", 'jsonpath={.metadata.name}:{.status.phase}{"\\n"}', "--sort-by=.metadata.name"], io), 0);
  assert.equal(io.stdout.text, "db-a:Pending\nweb-b:Running\nweb-c:Running\nnew:Pending\n");
});
