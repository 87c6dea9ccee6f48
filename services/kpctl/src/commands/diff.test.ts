// Tests of `kpctl diff`: nothing to show after apply, a changed field and a new object shown by diff -u, exit codes as kubectl's.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { FakeApi, fakeIo } from "../fake-client-test-support.js";
import { run } from "../run.js";

const service = (port: number): string => `apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  selector: {app: web}\n  ports: [{port: ${port}}]\n`;

test("diff exits 0 with nothing to show after apply, and 1 with a unified diff of what apply would change", async () => {
  const dir = mkdtempSync(join(tmpdir(), "kpctl-diff-test-"));
  const file = join(dir, "svc.yaml");
  writeFileSync(file, service(80));
  const api = new FakeApi();
  assert.equal(await run(["apply", "-f", file], fakeIo(api)), 0);

  let io = fakeIo(api);
  assert.equal(await run(["diff", "-f", file], io), 0);
  assert.equal(io.stdout.text, "");

  writeFileSync(file, `${service(81)}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: fresh}\ndata: {a: "1"}\n`);
  io = fakeIo(api);
  assert.equal(await run(["diff", "-f", file], io), 1);
  assert.match(io.stdout.text, /^diff -u -N .*\/LIVE\/v1\.Service\.default\.web .*\/MERGED\/v1\.Service\.default\.web$/m);
  assert.match(io.stdout.text, /^- {4}- port: 80$/m);
  assert.match(io.stdout.text, /^\+ {4}- port: 81$/m);
  assert.match(io.stdout.text, /^\+\+\+ .*\/MERGED\/v1\.ConfigMap\.default\.fresh/m);
  assert.match(io.stdout.text, /^\+ {2}a: "1"$/m);
  assert.deepEqual(api.calls.filter((c) => !c.includes("dry-run") && !c.startsWith("create")), [], "diff writes nothing");
});
