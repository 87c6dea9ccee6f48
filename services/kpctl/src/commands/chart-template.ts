// `kpctl chart template` (render to stdout or --output-dir) and `kpctl chart lint` (Chart.yaml, schema, render, objects).
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { kindFor } from "@kubeplane/api";
import { ChartError, manifestText, type RenderedObject } from "@kubeplane/chart";
import { UsageError } from "../args.js";
import { str } from "../json-fields.js";
import type { CommandContext } from "./command.js";
import { renderFromFlags } from "./chart-source.js";

/** Helm's name when `template` is given none. */
const DEFAULT_RELEASE_NAME = "release-name";

/** `template [NAME] CHART`: the manifest on stdout, or one file per template under --output-dir. */
export async function chartTemplate(ctx: CommandContext, args: readonly string[]): Promise<number> {
  if (args.length < 1 || args.length > 2) throw new UsageError("template takes [NAME] CHART");
  const [name, path] = args.length === 2 ? [args[0] as string, args[1] as string] : [DEFAULT_RELEASE_NAME, args[0] as string];
  const { result } = await renderFromFlags(ctx, path, { name, namespace: ctx.settings.namespace, revision: 1, isUpgrade: false });
  const dir = ctx.flags.string("output-dir");
  if (!dir) {
    ctx.out(result.manifest);
    return 0;
  }
  const byTemplate = new Map<string, RenderedObject[]>();
  for (const o of result.objects) byTemplate.set(o.template, [...(byTemplate.get(o.template) ?? []), o]);
  for (const [template, objects] of byTemplate) {
    const file = join(dir, template);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, manifestText(objects));
    ctx.out(`wrote ${file}\n`);
  }
  return 0;
}

/** The problems of one rendered object: the fields every object needs, and a kind this cluster serves. */
export function objectProblems(o: RenderedObject): string[] {
  const problems: string[] = [];
  const apiVersion = str(o.object, "apiVersion");
  const kind = str(o.object, "kind");
  if (!str(o.object, "metadata", "name")) problems.push(`object ${kind || "?"} has no metadata.name`);
  if (apiVersion && kind && !kindFor(apiVersion, kind)) problems.push(`no matches for kind "${kind}" in version "${apiVersion}": this cluster does not serve it`);
  return problems;
}

/** The template path relative to its chart (`templates/deployment.yaml`), as Helm's lint names files. */
function chartRelative(template: string): string {
  const i = template.indexOf("/templates/");
  return i < 0 ? template : template.slice(i + 1);
}

/**
 * `lint CHART`: loads the chart, checks the values (with -f/--set) against its schema, renders
 * it and checks every object. Prints Helm's `[ERROR] file: message` lines; exit 1 on any error.
 */
export async function chartLint(ctx: CommandContext, args: readonly string[]): Promise<number> {
  if (args.length !== 1) throw new UsageError("lint takes one CHART path");
  const path = args[0] as string;
  ctx.out(`==> Linting ${path}\n`);
  const errors: string[] = [];
  try {
    const { result } = await renderFromFlags(ctx, path, { name: DEFAULT_RELEASE_NAME, namespace: ctx.settings.namespace, revision: 1, isUpgrade: false });
    for (const o of result.objects) for (const p of objectProblems(o)) errors.push(`${chartRelative(o.template)}: ${p}`);
  } catch (err) {
    if (!(err instanceof ChartError)) throw err;
    const file = err.code === "ESCHEMA" ? "values.yaml" : err.code === "ECHARTLOAD" ? "Chart.yaml" : err.code === "EVALUES" ? "values" : "templates/";
    errors.push(`${file}: ${err.message}`);
  }
  for (const e of errors) ctx.out(`[ERROR] ${e}\n`);
  const failed = errors.length ? 1 : 0;
  ctx.out(`\n1 chart(s) linted, ${failed} chart(s) failed\n`);
  if (failed) ctx.err(`Error: 1 chart(s) linted, 1 chart(s) failed\n`);
  return failed;
}
