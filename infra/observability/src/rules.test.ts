// The shipped rules: promtool accepts them, and its unit tests (rules/tests/) pass and cover every alert firing and staying quiet.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import { parse } from "yaml";
import { ruleTestsDir, rulesDir } from "./paths.js";

const execFileAsync = promisify(execFile);
const yamlIn = async (dir: string): Promise<string[]> => (await readdir(dir)).filter((f) => f.endsWith(".yaml")).map((f) => join(dir, f));

test("promtool check rules accepts every rule file", async () => {
  const files = await yamlIn(rulesDir);
  assert.ok(files.length >= 2);
  await execFileAsync("promtool", ["check", "rules", ...files]);
});

test("promtool test rules passes", async () => {
  const { stdout } = await execFileAsync("promtool", ["test", "rules", ...(await yamlIn(ruleTestsDir))]);
  assert.match(stdout, /SUCCESS/);
});

test("every alert has a unit test where it fires and one where it stays quiet", async () => {
  const alerts = new Set<string>();
  for (const file of await yamlIn(rulesDir)) {
    const doc = parse(await readFile(file, "utf8")) as { groups: Array<{ rules: Array<{ alert?: string }> }> };
    for (const g of doc.groups) for (const r of g.rules) if (r.alert) alerts.add(r.alert);
  }
  const fires = new Set<string>();
  const quiet = new Set<string>();
  for (const file of await yamlIn(ruleTestsDir)) {
    const doc = parse(await readFile(file, "utf8")) as { tests: Array<{ alert_rule_test?: Array<{ alertname: string; exp_alerts?: unknown[] }> }> };
    for (const t of doc.tests) {
      for (const a of t.alert_rule_test ?? []) (a.exp_alerts?.length ? fires : quiet).add(a.alertname);
    }
  }
  for (const alert of alerts) {
    assert.ok(fires.has(alert), `${alert}: no test where it fires`);
    assert.ok(quiet.has(alert), `${alert}: no test where it stays quiet`);
  }
});
