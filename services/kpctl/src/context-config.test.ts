// Tests of the context file and the precedence of server and namespace: flag > env > file > default.
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { contextFilePath, readContextFile, resolveSettings, writeContextFile, type ContextFile } from "./context-config.js";

const file: ContextFile = {
  currentContext: "dev",
  contexts: [
    { name: "dev", server: "10.0.0.1:6443", namespace: "team-a", caFile: "/etc/ca.pem" },
    { name: "prod", server: "10.0.0.2:6443" },
  ],
};

test("server: --server beats $KUBEPLANE_SERVER beats the context beats 127.0.0.1:6443", () => {
  const env = { KUBEPLANE_SERVER: "env:6443" };
  assert.equal(resolveSettings(file, { server: "flag:6443" }, env).server, "flag:6443");
  assert.equal(resolveSettings(file, {}, env).server, "env:6443");
  assert.equal(resolveSettings(file, {}, {}).server, "10.0.0.1:6443");
  assert.equal(resolveSettings({ contexts: [] }, {}, {}).server, "127.0.0.1:6443");
});

test("namespace: -n beats the context's beats default", () => {
  assert.equal(resolveSettings(file, { namespace: "ops" }, {}).namespace, "ops");
  assert.equal(resolveSettings(file, {}, {}).namespace, "team-a");
  assert.equal(resolveSettings(file, { context: "prod" }, {}).namespace, "default");
});

test("--context picks another context; an unknown one is an error", () => {
  const s = resolveSettings(file, { context: "prod" }, {});
  assert.equal(s.server, "10.0.0.2:6443");
  assert.equal(s.caFile, undefined);
  assert.equal(resolveSettings(file, {}, {}).caFile, "/etc/ca.pem");
  assert.throws(() => resolveSettings(file, { context: "nope" }, {}), /context "nope" does not exist/);
});

test("the file's path: --config beats $KUBEPLANE_CONFIG beats ~/.kubeplane/config", () => {
  assert.equal(contextFilePath("/x/config", { KUBEPLANE_CONFIG: "/env/config", HOME: "/home/op" }), "/x/config");
  assert.equal(contextFilePath(undefined, { KUBEPLANE_CONFIG: "/env/config", HOME: "/home/op" }), "/env/config");
  assert.equal(contextFilePath(undefined, { HOME: "/home/op" }), "/home/op/.kubeplane/config");
});

const dir = await mkdtemp(join(tmpdir(), "kpctl-config-"));
after(() => rm(dir, { recursive: true, force: true }));

test("a missing file is empty; a written file reads back", async () => {
  assert.deepEqual(await readContextFile(join(dir, "missing")), { contexts: [] });
  const path = join(dir, "sub", "config");
  await writeContextFile(path, file);
  assert.match(await readFile(path, "utf8"), /currentContext: dev/);
  assert.deepEqual(await readContextFile(path), file);
});

test("a malformed file is an error naming it", async () => {
  const path = join(dir, "bad");
  await writeFile(path, "contexts: [\n");
  await assert.rejects(readContextFile(path), /error loading config file ".*bad"/);
});
