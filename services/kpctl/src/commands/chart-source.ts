// What template, lint, install and upgrade share: the values flags, the cluster's capabilities, and one render of a chart.
import { kindsList } from "@kubeplane/api";
import { loadChart, loadValuesFile, renderChart, userValues, type Chart, type RenderResult, type Values } from "@kubeplane/chart";
import type { FlagSpec } from "../args.js";
import type { CommandContext } from "./command.js";

export const VALUES_FLAGS: readonly FlagSpec[] = [
  { name: "values", short: "f", type: "strings", value: "FILE", description: "Values files (YAML); later files win. May repeat." },
  { name: "set", type: "strings", value: "KEY=VAL", description: "Values on the command line (a.b=c,list[0]=x,tags={a,b}); typed as Helm types them. May repeat." },
  { name: "set-string", type: "strings", value: "KEY=VAL", description: "Like --set, but every value is a string." },
  { name: "kube-version", type: "string", description: "The Kubernetes version .Capabilities.KubeVersion reports (default v1.30.0)." },
];

/** The group/versions and group/version/Kinds the apiserver serves, for .Capabilities.APIVersions. */
export function servedApiVersions(): string[] {
  const out = new Set<string>();
  for (const k of kindsList) {
    out.add(k.apiVersion);
    out.add(`${k.apiVersion}/${k.kind}`);
  }
  return [...out].sort();
}

/**
 * The values the user supplied: -f files in order, then --set, then --set-string. The flag
 * parser splits repeated `strings` flags on commas; joined back, the expressions read as Helm's.
 */
export async function valuesFromFlags(ctx: CommandContext): Promise<Values> {
  const files: Values[] = [];
  for (const path of ctx.flags.strings("values")) files.push(await loadValuesFile(path));
  const joined = (flag: string): string[] => {
    const parts = ctx.flags.strings(flag);
    return parts.length ? [parts.join(",")] : [];
  };
  return userValues({ files, set: joined("set"), setString: joined("set-string") });
}

/** One render of a chart for a release. */
export interface ChartRender {
  chart: Chart;
  config: Values;
  result: RenderResult;
}

/** Loads the chart at `path`, reads the values flags and renders it (in the chart sandbox process) for `release`. */
export async function renderFromFlags(
  ctx: CommandContext,
  path: string,
  release: { name: string; namespace: string; revision: number; isUpgrade: boolean },
): Promise<ChartRender> {
  const chart = await loadChart(path);
  const config = await valuesFromFlags(ctx);
  const kubeVersion = ctx.flags.string("kube-version");
  const result = await renderChart(
    {
      chart,
      values: config,
      release: { ...release, isInstall: !release.isUpgrade, service: "kpctl" },
      capabilities: { apiVersions: servedApiVersions(), ...(kubeVersion ? { kubeVersion } : {}) },
    },
    {},
    ctx.io.signal,
  );
  return { chart, config, result };
}
