// Tests of the object-building verbs: create deployment|configmap|secret|namespace|serviceaccount, run, expose.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { kindFor, type KindInfo } from "@kubeplane/api";
import { parse } from "yaml";
import { FakeApi, fakeIo } from "../fake-client-test-support.js";
import { run } from "../run.js";

const kind = (apiVersion: string, k: string): KindInfo => kindFor(apiVersion, k) as KindInfo;
const strip = (o: Record<string, unknown>): unknown => {
  const { metadata, ...rest } = o as { metadata: Record<string, unknown> };
  const { resourceVersion: _r, uid: _u, creationTimestamp: _c, ...md } = metadata;
  return { ...rest, metadata: md };
};

test("create deployment builds kubectl's app=NAME deployment; --dry-run=client -o yaml only prints it", async () => {
  const a = new FakeApi();
  let io = fakeIo(a);
  assert.equal(await run(["create", "deployment", "web", "--image=docker.io/library/busybox:1.36", "--replicas=3", "--port=8080", "--", "httpd", "-f"], io), 0);
  assert.equal(io.stdout.text, "deployment.apps/web created\n");
  assert.deepEqual(strip(await a.get(kind("apps/v1", "Deployment"), "default", "web")), {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web", labels: { app: "web" }, namespace: "default" },
    spec: { replicas: 3, selector: { matchLabels: { app: "web" } }, template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "busybox", image: "docker.io/library/busybox:1.36", command: ["httpd", "-f"], ports: [{ containerPort: 8080 }] }] } } },
  });
  io = fakeIo(a);
  assert.equal(await run(["create", "deploy", "other", "--image=a", "--image=b", "--dry-run=client", "-o", "yaml"], io), 0);
  const printed = parse(io.stdout.text) as { spec: { template: { spec: { containers: { name: string }[] } } } };
  assert.deepEqual(printed.spec.template.spec.containers.map((c) => c.name), ["a", "b"]);
  assert.equal(a.store.has("deployments/default/other"), false);
});

test("create configmap and secret generic from literals, files, a directory and an env file; secret tls; namespace; serviceaccount", async () => {
  const dir = mkdtempSync(join(tmpdir(), "kpctl-create-"));
  writeFileSync(join(dir, "app.conf"), "port=80\n");
  mkdirSync(join(dir, "d"));
  writeFileSync(join(dir, "d", "one"), "1");
  writeFileSync(join(dir, "d", "bin"), Buffer.from([0xff, 0x00]));
  writeFileSync(join(dir, "env"), "# comment\nA=1\n\nB=two\n");
  const a = new FakeApi();
  let io = fakeIo(a);
  assert.equal(await run(["create", "configmap", "cfg", "--from-literal=mode=prod", `--from-file=${join(dir, "app.conf")}`, `--from-file=custom=${join(dir, "app.conf")}`, `--from-file=${join(dir, "d")}`, `--from-env-file=${join(dir, "env")}`], io), 0);
  const cm = await a.get(kind("v1", "ConfigMap"), "default", "cfg");
  assert.deepEqual(cm.data, { mode: "prod", "app.conf": "port=80\n", custom: "port=80\n", one: "1", A: "1", B: "two" });
  assert.deepEqual(cm.binaryData, { bin: Buffer.from([0xff, 0x00]).toString("base64") });

  io = fakeIo(a);
  assert.equal(await run(["create", "secret", "generic", "db", "--from-literal=password=s3cret", "--from-literal=password=again"], io), 1);
  assert.match(io.stderr.text, /cannot add key password, another key by that name already exists/);
  io = fakeIo(a);
  assert.equal(await run(["create", "secret", "generic", "db", "--from-literal=password=s3,cret"], io), 0);
  assert.deepEqual((await a.get(kind("v1", "Secret"), "default", "db")).data, { password: Buffer.from("s3,cret").toString("base64") });

  writeFileSync(join(dir, "tls.crt"), "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
  writeFileSync(join(dir, "tls.key"), "-----BEGIN EC PRIVATE KEY-----\nMHc\n-----END EC PRIVATE KEY-----\n");
  io = fakeIo(a);
  assert.equal(await run(["create", "secret", "tls", "web-tls", `--cert=${join(dir, "tls.crt")}`, `--key=${join(dir, "tls.key")}`], io), 0);
  assert.equal((await a.get(kind("v1", "Secret"), "default", "web-tls")).type, "kubernetes.io/tls");

  io = fakeIo(a);
  assert.equal(await run(["create", "namespace", "team-a"], io), 0);
  assert.equal(await run(["create", "serviceaccount", "robot", "-n", "team-a"], io), 0);
  assert.equal(io.stdout.text, "namespace/team-a created\nserviceaccount/robot created\n");
  assert.equal(a.store.has("serviceaccounts/team-a/robot"), true);
});

test("run creates a pod with run=NAME, port, env, restart policy and command", async () => {
  const a = new FakeApi();
  const io = fakeIo(a);
  assert.equal(await run(["run", "sleeper", "--image=busybox:1.36", "--port=8080", "--env=A=1,2", "--env=B=3", "--restart=Never", "--command", "--", "sleep", "3600"], io), 0);
  assert.equal(io.stdout.text, "pod/sleeper created\n");
  const pod = await a.get(kind("v1", "Pod"), "default", "sleeper");
  assert.deepEqual(strip(pod), {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "sleeper", labels: { run: "sleeper" }, namespace: "default" },
    spec: { containers: [{ name: "sleeper", image: "busybox:1.36", command: ["sleep", "3600"], ports: [{ containerPort: 8080 }], env: [{ name: "A", value: "1,2" }, { name: "B", value: "3" }] }], restartPolicy: "Never", dnsPolicy: "ClusterFirst" },
  });
});

test("expose makes a Service selecting a deployment's pods, or a pod's labels, with its ports", async () => {
  const a = new FakeApi();
  a.seed(kind("apps/v1", "Deployment"), { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "web", namespace: "default", labels: { app: "web" } }, spec: { selector: { matchLabels: { app: "web" } }, template: { spec: { containers: [{ name: "c", image: "x", ports: [{ containerPort: 8080 }] }] } } } });
  a.seed(kind("v1", "Pod"), { apiVersion: "v1", kind: "Pod", metadata: { name: "p", namespace: "default", labels: { run: "p" } }, spec: { containers: [{ name: "c", image: "x", ports: [{ containerPort: 80, name: "http" }, { containerPort: 53, protocol: "UDP" }] }] } });
  let io = fakeIo(a);
  assert.equal(await run(["expose", "deployment", "web", "--port=80", "--target-port=8080", "--type=NodePort"], io), 0);
  assert.equal(io.stdout.text, "service/web exposed\n");
  const svc = await a.get(kind("v1", "Service"), "default", "web");
  assert.deepEqual(svc.spec, { ports: [{ port: 80, protocol: "TCP", targetPort: 8080 }], selector: { app: "web" }, type: "NodePort" });
  io = fakeIo(a);
  assert.equal(await run(["expose", "pod/p", "--name=p-svc"], io), 0);
  assert.deepEqual((await a.get(kind("v1", "Service"), "default", "p-svc")).spec, {
    ports: [{ name: "http", port: 80, protocol: "TCP", targetPort: 80 }, { name: "port-2", port: 53, protocol: "UDP", targetPort: 53 }],
    selector: { run: "p" },
  });
  io = fakeIo(a);
  assert.equal(await run(["expose", "configmap", "x", "--port=1"], io), 1);
  assert.match(io.stderr.text, /cannot expose a ConfigMap/);
});
