// Unit tests of how tests run a service's entry: from source by default, from dist/ only when asked and built.
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { nodeEntryArgs } from "./node-command.js";

test("a service's entry runs from source unless KP_TEST_FROM_DIST=1, then from its built dist/src/main.js if there is one", async (t) => {
  const root = await mkdtemp(join(tmpdir(), "kp-node-command-"));
  const saved = process.env.KP_TEST_FROM_DIST;
  t.after(async () => {
    if (saved === undefined) delete process.env.KP_TEST_FROM_DIST;
    else process.env.KP_TEST_FROM_DIST = saved;
    await rm(root, { recursive: true, force: true });
  });
  const [built, unbuilt] = [join(root, "services", "built", "src", "main.ts"), join(root, "services", "unbuilt", "src", "main.ts")];
  await mkdir(join(root, "services", "built", "dist", "src"), { recursive: true });
  await writeFile(join(root, "services", "built", "dist", "src", "main.js"), "");
  const fromSource = (entry: string): string[] => ["--conditions=source", "--import", "tsx", entry];
  delete process.env.KP_TEST_FROM_DIST;
  assert.deepEqual(nodeEntryArgs(built), fromSource(built));
  process.env.KP_TEST_FROM_DIST = "1";
  assert.deepEqual(nodeEntryArgs(built), [join(root, "services", "built", "dist", "src", "main.js")]);
  assert.deepEqual(nodeEntryArgs(unbuilt), fromSource(unbuilt), "nothing built: from source");
  assert.deepEqual(nodeEntryArgs(join(root, "fixture.ts")), fromSource(join(root, "fixture.ts")), "not a service's entry");
});
