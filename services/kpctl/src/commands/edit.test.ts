// Tests of `kpctl edit` with scripted editors: a saved change, a cancel, and a rejected save reopened with the error on top.
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { apiErrors, invalid, kindFor, type KindInfo } from "@kubeplane/api";
import { FakeApi, fakeIo } from "../fake-client-test-support.js";
import { num, str } from "../json-fields.js";
import { run } from "../run.js";
import { editorCommand, stripComments } from "./edit.js";

const deployments = kindFor("apps/v1", "Deployment") as KindInfo;
const dir = mkdtempSync(join(tmpdir(), "kpctl-edit-test-"));

/** An editor script: a shell body run with the file as $1. */
function editor(name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

function api(): FakeApi {
  const a = new FakeApi();
  a.seed(deployments, { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "web", namespace: "default" }, spec: { replicas: 1 } });
  return a;
}

test("edit writes what the editor changed and names the object", async () => {
  const a = api();
  const io = fakeIo(a, { env: { KUBEPLANE_CONFIG: "/nonexistent", KUBE_EDITOR: editor("replicas", "sed -i 's/replicas: 1/replicas: 4/' \"$1\""), EDITOR: "false" } });
  assert.equal(await run(["edit", "deploy/web"], io), 0);
  assert.equal(io.stdout.text, "deployment.apps/web edited\n");
  assert.equal(num(await a.get(deployments, "default", "web"), "spec", "replicas"), 4);
});

test("an unchanged or emptied file cancels without writing", async () => {
  const a = api();
  let io = fakeIo(a, { env: { KUBEPLANE_CONFIG: "/nonexistent", EDITOR: "true" } });
  assert.equal(await run(["edit", "deployment", "web"], io), 0);
  assert.equal(io.stderr.text, "Edit cancelled, no changes made.\n");
  io = fakeIo(a, { env: { KUBEPLANE_CONFIG: "/nonexistent", EDITOR: editor("empty", ': > "$1"') } });
  assert.equal(await run(["edit", "deployment", "web"], io), 0);
  assert.equal(io.stderr.text, "Edit cancelled, no changes made.\n");
  assert.equal(a.calls.filter((c) => c.startsWith("update")).length, 0);
});

test("a rejected save reopens the file with the server's error on top; fixing it saves", async () => {
  const a = api();
  a.failUpdate = (obj) => (num(obj, "spec", "replicas") === -1 ? apiErrors.invalid({ group: "apps", resource: "deployments", name: "web", kind: "Deployment" }, [invalid("spec.replicas", -1, "must be greater than or equal to 0")]) : undefined);
  const log = join(dir, "seen");
  // First round: set -1. Second round: keep a copy of what was shown, then set 2.
  const script = editor("twice", `if [ -f "${log}.1" ]; then cp "$1" "${log}.2"; sed -i 's/replicas: -1/replicas: 2/' "$1"; else touch "${log}.1"; sed -i 's/replicas: 1/replicas: -1/' "$1"; fi`);
  const io = fakeIo(a, { env: { KUBEPLANE_CONFIG: "/nonexistent", KUBE_EDITOR: script } });
  assert.equal(await run(["edit", "deploy/web"], io), 0);
  const reopened = readFileSync(`${log}.2`, "utf8");
  assert.match(reopened, /^# Please edit the object below/);
  assert.match(reopened, /# deployments\.apps "web" was not valid:\n# \* spec\.replicas: Invalid value: -1: must be greater than or equal to 0\n/);
  assert.match(stripComments(reopened), /replicas: -1/, "the user's edit is kept");
  assert.equal(str(await a.get(deployments, "default", "web"), "spec", "replicas"), "2");
});

test("the editor comes from KUBE_EDITOR, then EDITOR, then vi", () => {
  assert.equal(editorCommand({ KUBE_EDITOR: "nano", EDITOR: "vim" }), "nano");
  assert.equal(editorCommand({ EDITOR: "vim -u NONE" }), "vim -u NONE");
  assert.equal(editorCommand({}), "vi");
});
