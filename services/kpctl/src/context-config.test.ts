// Tests of the kubeconfig-shaped context file (and its older flat shape) and of the precedence: flag > env > file > default.
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { parse } from "yaml";
import { contextFilePath, readContextFile, resolveSettings, writeContextFile, type ContextFile } from "./context-config.js";
import { emptyKubeconfig, setClusterScheduler } from "./kubeconfig.js";

const file: ContextFile = {
  "current-context": "dev",
  clusters: [
    { name: "dev-cluster", cluster: { server: "10.0.0.1:6443", "certificate-authority": "/etc/ca.pem" } },
    { name: "prod-cluster", cluster: { server: "10.0.0.2:6443", "certificate-authority-data": Buffer.from("PROD CA PEM").toString("base64") } },
  ],
  users: [
    { name: "admin", user: { "client-certificate": "certs/admin.crt", "client-key": "/abs/admin.key" } },
    { name: "robot", user: { token: "t0ken", "client-certificate-data": Buffer.from("ROBOT CERT").toString("base64") } },
  ],
  contexts: [
    { name: "dev", context: { cluster: "dev-cluster", user: "admin", namespace: "team-a" } },
    { name: "prod", context: { cluster: "prod-cluster", user: "robot" } },
  ],
};

test("server: --server beats $KUBEPLANE_SERVER beats the context's cluster beats 127.0.0.1:6443", () => {
  const env = { KUBEPLANE_SERVER: "env:6443" };
  assert.equal(resolveSettings(file, { server: "flag:6443" }, env).server, "flag:6443");
  assert.equal(resolveSettings(file, {}, env).server, "env:6443");
  assert.equal(resolveSettings(file, {}, {}).server, "10.0.0.1:6443");
  assert.equal(resolveSettings(file, { cluster: "prod-cluster" }, {}).server, "10.0.0.2:6443");
  assert.equal(resolveSettings(emptyKubeconfig(), {}, {}).server, "127.0.0.1:6443");
});

test("namespace: -n beats the context's beats default", () => {
  assert.equal(resolveSettings(file, { namespace: "ops" }, {}).namespace, "ops");
  assert.equal(resolveSettings(file, {}, {}).namespace, "team-a");
  assert.equal(resolveSettings(file, { context: "prod" }, {}).namespace, "default");
});

test("--context picks another context; an unknown one is an error", () => {
  const s = resolveSettings(file, { context: "prod" }, {});
  assert.equal(s.server, "10.0.0.2:6443");
  assert.equal(s.context, "prod");
  assert.equal(s.caFile, undefined);
  assert.equal(resolveSettings(file, {}, {}).caFile, "/etc/ca.pem");
  assert.throws(() => resolveSettings(file, { context: "nope" }, {}), /context "nope" does not exist/);
});

test("credentials: the user's files (relative to the file's directory), inline data decoded, the token", () => {
  const dev = resolveSettings(file, {}, {}, "/home/op/.kubeplane");
  assert.equal(dev.certFile, "/home/op/.kubeplane/certs/admin.crt");
  assert.equal(dev.keyFile, "/abs/admin.key");
  assert.equal(dev.token, undefined);
  const prod = resolveSettings(file, { context: "prod" }, {});
  assert.equal(prod.caData, "PROD CA PEM");
  assert.equal(prod.certData, "ROBOT CERT");
  assert.equal(prod.certFile, undefined);
  assert.equal(prod.token, "t0ken");
  // --user switches the identity only.
  const asRobot = resolveSettings(file, { user: "robot" }, {});
  assert.equal(asRobot.server, "10.0.0.1:6443");
  assert.equal(asRobot.token, "t0ken");
});

test("credential flags beat the file: --token, --client-certificate, --client-key, --certificate-authority", () => {
  const s = resolveSettings(
    file,
    { context: "prod", token: "flag-token", clientCertificate: "c.crt", clientKey: "c.key", certificateAuthority: "ca.crt" },
    {},
  );
  assert.equal(s.token, "flag-token");
  assert.equal(s.certFile, "c.crt");
  assert.equal(s.certData, undefined);
  assert.equal(s.keyFile, "c.key");
  assert.equal(s.caFile, "ca.crt");
  assert.equal(s.caData, undefined);
});

test("the scheduler address is a cluster extension", () => {
  const withScheduler = structuredClone(file);
  setClusterScheduler(withScheduler.clusters[0]!.cluster, "10.0.0.1:10259");
  assert.equal(resolveSettings(withScheduler, {}, {}).scheduler, "10.0.0.1:10259");
  assert.equal(resolveSettings(file, {}, {}).scheduler, undefined);
});

test("the file's path: --config beats $KUBEPLANE_CONFIG beats ~/.kubeplane/config", () => {
  assert.equal(contextFilePath("/x/config", { KUBEPLANE_CONFIG: "/env/config", HOME: "/home/op" }), "/x/config");
  assert.equal(contextFilePath(undefined, { KUBEPLANE_CONFIG: "/env/config", HOME: "/home/op" }), "/env/config");
  assert.equal(contextFilePath(undefined, { HOME: "/home/op" }), "/home/op/.kubeplane/config");
});

const dir = await mkdtemp(join(tmpdir(), "kpctl-config-"));
after(() => rm(dir, { recursive: true, force: true }));

test("a missing file is empty; a written file is a kubeconfig (0600) and reads back", async () => {
  assert.deepEqual(await readContextFile(join(dir, "missing")), emptyKubeconfig());
  const path = join(dir, "sub", "config");
  await writeContextFile(path, file);
  const doc = parse(await readFile(path, "utf8")) as Record<string, unknown>;
  assert.equal(doc.apiVersion, "v1");
  assert.equal(doc.kind, "Config");
  assert.equal(doc["current-context"], "dev");
  assert.deepEqual(doc.contexts, file.contexts);
  assert.equal((await stat(path)).mode & 0o777, 0o600);
  assert.deepEqual(await readContextFile(path), { ...file, preferences: {} });
});

test("kpctl's older flat file is read as clusters, users and contexts named after each context", async () => {
  const path = join(dir, "legacy");
  await writeFile(
    path,
    [
      "currentContext: dev",
      "contexts:",
      "  - name: dev",
      "    server: 10.0.0.1:6443",
      "    namespace: team-a",
      "    scheduler: 10.0.0.1:10259",
      "    caFile: /etc/ca.pem",
      "    certFile: /etc/admin.crt",
      "    keyFile: /etc/admin.key",
      "  - name: prod",
      "    server: 10.0.0.2:6443",
      "",
    ].join("\n"),
  );
  const read = await readContextFile(path);
  assert.equal(read["current-context"], "dev");
  assert.deepEqual(read.contexts, [
    { name: "dev", context: { cluster: "dev", user: "dev", namespace: "team-a" } },
    { name: "prod", context: { cluster: "prod" } },
  ]);
  assert.deepEqual(read.users, [{ name: "dev", user: { "client-certificate": "/etc/admin.crt", "client-key": "/etc/admin.key" } }]);
  const s = resolveSettings(read, {}, {});
  assert.deepEqual(
    { server: s.server, namespace: s.namespace, scheduler: s.scheduler, caFile: s.caFile, certFile: s.certFile, keyFile: s.keyFile },
    { server: "10.0.0.1:6443", namespace: "team-a", scheduler: "10.0.0.1:10259", caFile: "/etc/ca.pem", certFile: "/etc/admin.crt", keyFile: "/etc/admin.key" },
  );
  assert.equal(resolveSettings(read, { context: "prod" }, {}).server, "10.0.0.2:6443");
});

test("a malformed file is an error naming it", async () => {
  const path = join(dir, "bad");
  await writeFile(path, "contexts: [\n");
  await assert.rejects(readContextFile(path), /error loading config file ".*bad"/);
  await writeFile(path, "- just a list\n");
  await assert.rejects(readContextFile(path), /error loading config file ".*bad": not a mapping/);
});
