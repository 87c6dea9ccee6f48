// Golden files for the chart tests: compare with test/golden/NAME, or rewrite them with UPDATE_GOLDEN=1.
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

export const FIXTURES = fileURLToPath(new URL("../test/fixtures/", import.meta.url));
const GOLDEN = new URL("../test/golden/", import.meta.url);

/** Asserts `actual` equals the golden file `name`; with UPDATE_GOLDEN=1 writes it instead. */
export async function assertGolden(name: string, actual: string): Promise<void> {
  const file = new URL(name, GOLDEN);
  if (process.env.UPDATE_GOLDEN === "1") {
    await writeFile(file, actual);
    return;
  }
  const expected = await readFile(file, "utf8");
  assert.equal(actual, expected, `output differs from test/golden/${name} (UPDATE_GOLDEN=1 rewrites it after review)`);
}
