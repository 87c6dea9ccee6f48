// Reads a chart directory (Chart.yaml, values.yaml, values.schema.json, templates/, charts/*) and values files.
import { readdir, readFile, stat } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { parse as parseYaml } from "yaml";
import { parseChartMetadata } from "./chart-metadata.js";
import { isValuesMap } from "./coalesce.js";
import { ChartLoadError, ValuesError } from "./errors.js";
import type { Chart, ChartFile, Values } from "./types.js";

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new ChartLoadError(`cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
}

function parseYamlFile(text: string, where: string, ErrorClass: typeof ChartLoadError | typeof ValuesError): unknown {
  try {
    return parseYaml(text, { prettyErrors: true });
  } catch (err) {
    throw new ErrorClass(`${where}: ${(err as Error).message.split("\n")[0]}`, { cause: err });
  }
}

/** Every file under `dir`, recursively, as paths relative to `root` with "/" separators, sorted. */
async function listFiles(dir: string, root: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw new ChartLoadError(`cannot read ${dir}: ${(err as Error).message}`, { cause: err });
  }
  const out: string[] = [];
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(path, root)));
    else if (e.isFile()) out.push(relative(root, path).split(sep).join("/"));
  }
  return out.sort();
}

async function loadSubcharts(dir: string): Promise<Chart[]> {
  let entries;
  try {
    entries = await readdir(join(dir, "charts"), { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw new ChartLoadError(`cannot read ${join(dir, "charts")}: ${(err as Error).message}`, { cause: err });
  }
  const out: Chart[] = [];
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (e.isDirectory()) out.push(await loadChart(join(dir, "charts", e.name)));
    else if (/\.tgz$|\.tar\.gz$/.test(e.name)) {
      throw new ChartLoadError(`${join(dir, "charts", e.name)}: packaged subcharts are not supported; unpack it into charts/${e.name.replace(/-\d[^/]*$|\.t(ar\.)?gz$/, "")}/`);
    }
  }
  return out;
}

/**
 * Loads the chart in `dir` and its subcharts. Throws ChartLoadError when Chart.yaml is missing
 * or invalid, values.yaml is not a map, values.schema.json is not JSON, or a dependency named in
 * Chart.yaml has no folder under charts/.
 */
export async function loadChart(dir: string): Promise<Chart> {
  let info;
  try {
    info = await stat(dir);
  } catch (err) {
    throw new ChartLoadError(`path "${dir}" not found`, { cause: err });
  }
  if (!info.isDirectory()) throw new ChartLoadError(`"${dir}" is not a chart directory (packaged .tgz charts are not supported)`);
  const chartYaml = await readOptional(join(dir, "Chart.yaml"));
  if (chartYaml === undefined) throw new ChartLoadError(`Chart.yaml file is missing in ${dir}`);
  const where = join(dir, "Chart.yaml");
  const metadata = parseChartMetadata(parseYamlFile(chartYaml, where, ChartLoadError), where);

  const valuesText = await readOptional(join(dir, "values.yaml"));
  const values = valuesText === undefined ? {} : (parseYamlFile(valuesText, join(dir, "values.yaml"), ChartLoadError) ?? {});
  if (!isValuesMap(values)) throw new ChartLoadError(`${join(dir, "values.yaml")}: values must be a mapping`);

  const schemaText = await readOptional(join(dir, "values.schema.json"));
  let schema: unknown;
  if (schemaText !== undefined) {
    try {
      schema = JSON.parse(schemaText) as unknown;
    } catch (err) {
      throw new ChartLoadError(`${join(dir, "values.schema.json")}: ${(err as Error).message}`, { cause: err });
    }
  }

  const templates: ChartFile[] = [];
  for (const name of await listFiles(join(dir, "templates"), dir)) templates.push({ name, data: await readFile(join(dir, name), "utf8") });

  const subcharts = await loadSubcharts(dir);
  for (const dep of metadata.dependencies) {
    if (!subcharts.some((s) => s.metadata.name === dep.name)) {
      throw new ChartLoadError(`${where}: dependency "${dep.name}" is named in Chart.yaml but missing in the charts/ directory`);
    }
  }
  return { metadata, values, ...(schema !== undefined ? { schema } : {}), templates, subcharts };
}

/** A `-f` values file: YAML (or JSON) whose top level is a map; empty files are `{}`. */
export async function loadValuesFile(path: string): Promise<Values> {
  let text;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new ValuesError(`cannot read values file ${path}: ${(err as Error).message}`, { cause: err });
  }
  const parsed = parseYamlFile(text, path, ValuesError) ?? {};
  if (!isValuesMap(parsed)) throw new ValuesError(`${path}: values must be a mapping`);
  return parsed;
}
