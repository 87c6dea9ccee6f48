// Writes infra/observability/dashboards/<uid>.json from src/dashboards.ts; `--check` only reports files that differ (exit 1).
import { readFile, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { dashboards } from "./dashboards.js";
import { dashboardFileText } from "./grafana.js";
import { dashboardsDir } from "./paths.js";

/** Every dashboard file the generator produces: file name → text. */
export function generatedDashboards(): Map<string, string> {
  return new Map(dashboards.map((d) => [`${d.uid}.json`, dashboardFileText(d)]));
}

/** Files in `dir` that are missing, stale, or not produced by the generator (names). */
export async function staleDashboards(dir: string = dashboardsDir): Promise<string[]> {
  const wanted = generatedDashboards();
  const present = (await readdir(dir)).filter((f) => f.endsWith(".json"));
  const stale = present.filter((f) => !wanted.has(f));
  for (const [name, text] of wanted) {
    const current = await readFile(join(dir, name), "utf8").catch(() => undefined);
    if (current !== text) stale.push(name);
  }
  return stale.sort();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv.includes("--check")) {
    const stale = await staleDashboards();
    if (stale.length) {
      process.stderr.write(`dashboards out of date (run: node --conditions=source --import tsx infra/observability/src/generate-dashboards.ts): ${stale.join(", ")}\n`);
      process.exit(1);
    }
  } else {
    for (const [name, text] of generatedDashboards()) await writeFile(join(dashboardsDir, name), text);
  }
}
