// Tests of `kpctl label` and `kpctl annotate` over the fake apiserver: set, overwrite rules, removal, selectors.
import assert from "node:assert/strict";
import { test } from "node:test";
import { kindFor, type KindInfo } from "@kubeplane/api";
import { FakeApi, fakeIo } from "../fake-client-test-support.js";
import { rec } from "../json-fields.js";
import { run } from "../run.js";

const pods = kindFor("v1", "Pod") as KindInfo;

function api(): FakeApi {
  const a = new FakeApi();
  a.seed(pods, { apiVersion: "v1", kind: "Pod", metadata: { name: "web", namespace: "default", labels: { app: "web", tier: "front" }, annotations: { note: "x" } } });
  a.seed(pods, { apiVersion: "v1", kind: "Pod", metadata: { name: "db", namespace: "default", labels: { app: "db" } } });
  return a;
}
const labels = async (a: FakeApi, name: string): Promise<Record<string, unknown>> => rec(await a.get(pods, "default", name), "metadata", "labels");

test("label sets a new label, refuses to change one without --overwrite, then changes and removes", async () => {
  const a = api();
  let io = fakeIo(a);
  assert.equal(await run(["label", "pods", "web", "team=a"], io), 0);
  assert.equal(io.stdout.text, "pod/web labeled\n");
  assert.deepEqual(await labels(a, "web"), { app: "web", tier: "front", team: "a" });

  io = fakeIo(a);
  assert.equal(await run(["label", "pod/web", "app=other"], io), 1);
  assert.equal(io.stderr.text, "error: 'app' already has a value (web), and --overwrite is false\n");

  io = fakeIo(a);
  assert.equal(await run(["label", "pod/web", "app=other", "tier-", "--overwrite"], io), 0);
  assert.deepEqual(await labels(a, "web"), { app: "other", team: "a" });

  io = fakeIo(a);
  assert.equal(await run(["label", "pod/web", "app=other"], io), 0);
  assert.equal(io.stdout.text, "pod/web not labeled\n");

  io = fakeIo(a);
  assert.equal(await run(["label", "pod/web", "example.com/owner=me"], io), 0);
  assert.equal(await run(["label", "pod/web", "example.com/owner-"], io), 0, "a prefixed key ending in - is a removal, not a TYPE/NAME");
  assert.equal((await labels(a, "web"))["example.com/owner"], undefined);
  io = fakeIo(a);
  assert.equal(await run(["label", "pods", "a=b", "web"], io), 1);
  assert.match(io.stderr.text, /all resources must be specified before label changes: web/);
});

test("label -l and --all change every selected object; --dry-run=client writes nothing", async () => {
  const a = api();
  let io = fakeIo(a);
  assert.equal(await run(["label", "pods", "--all", "env=prod"], io), 0);
  assert.equal(io.stdout.text, "pod/web labeled\npod/db labeled\n");
  io = fakeIo(a);
  assert.equal(await run(["label", "pods", "-l", "app=db", "env-", "--dry-run=client"], io), 0);
  assert.equal(io.stdout.text, "pod/db labeled (dry run)\n");
  assert.equal((await labels(a, "db")).env, "prod");
  io = fakeIo(a);
  assert.equal(await run(["label", "pods", "web"], io), 1);
  assert.match(io.stderr.text, /at least one label update is required/);
});

test("annotate sets and removes annotations", async () => {
  const a = api();
  const io = fakeIo(a);
  assert.equal(await run(["annotate", "pods", "web", "owner=team-a", "note-"], io), 0);
  assert.equal(io.stdout.text, "pod/web annotated\n");
  assert.deepEqual(rec(await a.get(pods, "default", "web"), "metadata", "annotations"), { owner: "team-a" });
});
