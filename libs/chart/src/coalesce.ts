// Values precedence as Helm's: chart defaults ← -f files in order ← --set; subcharts get their key and the globals.
import { parseSet } from "./strvals.js";
import type { Chart, ChartDependency, Values } from "./types.js";

export function isValuesMap(v: unknown): v is Values {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Deep merge where `override` wins; maps merge key by key, anything else (lists too) replaces. Neither input is changed. */
export function mergeValues(base: Values, override: Values): Values {
  const out: Values = structuredClone(base);
  for (const [key, value] of Object.entries(override)) {
    const prev = out[key];
    out[key] = isValuesMap(prev) && isValuesMap(value) ? mergeValues(prev, value) : structuredClone(value);
  }
  return out;
}

/**
 * Helm's coalesce of user values over chart defaults: maps merge, other values replace, and a
 * `null` given by the user deletes the default (that is how `--set key=null` removes a key).
 * Nulls left in the result are dropped, as Helm drops them.
 */
export function coalesceValues(user: Values, defaults: Values): Values {
  const out: Values = {};
  for (const [key, value] of Object.entries(defaults)) {
    if (key in user) continue;
    if (value !== null) out[key] = dropNulls(structuredClone(value));
  }
  for (const [key, value] of Object.entries(user)) {
    if (value === null) continue;
    const def = defaults[key];
    if (isValuesMap(value) && isValuesMap(def)) out[key] = coalesceValues(value, def);
    else out[key] = dropNulls(structuredClone(value));
  }
  return out;
}

function dropNulls(v: unknown): unknown {
  if (!isValuesMap(v)) return v;
  for (const [k, inner] of Object.entries(v)) {
    if (inner === null) delete v[k];
    else dropNulls(inner);
  }
  return v;
}

/** What a user passed: values files (already parsed, in order), then `--set`, then `--set-string` expressions. */
export interface UserValueSources {
  files?: Values[];
  set?: string[];
  setString?: string[];
}

/**
 * The values a user supplied, before chart defaults: `-f` files merged in order, then each
 * `--set` and `--set-string` applied on top (Helm applies --set before --set-string).
 * This is what a release stores as its "config".
 */
export function userValues(sources: UserValueSources): Values {
  let out: Values = {};
  for (const file of sources.files ?? []) out = mergeValues(out, file);
  for (const expr of sources.set ?? []) parseSet(expr, out, false);
  for (const expr of sources.setString ?? []) parseSet(expr, out, true);
  return out;
}

/** The name a subchart is known by in its parent: the dependency's alias, else its own name. */
export function subchartKey(sub: Chart, deps: readonly ChartDependency[]): string {
  return deps.find((d) => d.name === sub.metadata.name)?.alias ?? sub.metadata.name;
}

function lookup(values: Values, path: string): unknown {
  let cur: unknown = values;
  for (const part of path.split(".")) {
    if (!isValuesMap(cur)) return undefined;
    cur = cur[part];
  }
  return cur;
}

/** Helm's ProcessDependencyEnabled for one dependency: the first boolean condition path wins, then tags, else enabled. */
export function dependencyEnabled(dep: ChartDependency | undefined, parentValues: Values): boolean {
  if (!dep) return true;
  for (const path of (dep.condition ?? "").split(",").map((p) => p.trim()).filter(Boolean)) {
    const v = lookup(parentValues, path);
    if (typeof v === "boolean") return v;
  }
  const tags = isValuesMap(parentValues.tags) ? parentValues.tags : {};
  const flags = (dep.tags ?? []).map((t) => tags[t]).filter((v): v is boolean => typeof v === "boolean");
  if (flags.length) return flags.some(Boolean);
  return true;
}

/** A chart with the values it renders with, and its enabled subcharts likewise. */
export interface ValuedChart {
  chart: Chart;
  /** The name the chart is rendered under (alias for subcharts). */
  name: string;
  values: Values;
  subcharts: ValuedChart[];
}

/**
 * The final values of a chart and, recursively, of its enabled subcharts: user values over the
 * defaults; each subchart gets its key of the parent's values over its own defaults, and the
 * parent's `global` map merged over its own. The parent's values keep each subchart's final
 * values under its key, so a parent template can read them, as in Helm.
 */
export function valueChart(chart: Chart, user: Values, name = chart.metadata.name, parentGlobal: Values = {}): ValuedChart {
  const values = coalesceValues(user, chart.values);
  const global = mergeValues(isValuesMap(values.global) ? values.global : {}, parentGlobal);
  if (Object.keys(global).length) values.global = global;
  const subcharts: ValuedChart[] = [];
  for (const sub of chart.subcharts) {
    const key = subchartKey(sub, chart.metadata.dependencies);
    const dep = chart.metadata.dependencies.find((d) => (d.alias ?? d.name) === key || d.name === sub.metadata.name);
    if (!dependencyEnabled(dep, values)) {
      delete values[key];
      continue;
    }
    const own = isValuesMap(values[key]) ? (values[key] as Values) : {};
    const valued = valueChart(sub, own, key, global);
    values[key] = valued.values;
    subcharts.push(valued);
  }
  return { chart, name, values, subcharts };
}
