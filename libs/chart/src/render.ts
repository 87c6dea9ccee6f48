// The render itself (run inside the sandbox process): values → schema check → templates → objects, NOTES apart.
import { chartObject } from "./chart-metadata.js";
import { valueChart, type ValuedChart } from "./coalesce.js";
import { manifestText, parseRendered, sortForInstall } from "./manifests.js";
import { validateValues } from "./schema.js";
import { TemplateEngine, type CompiledTemplate } from "./template-engine.js";
import type { CapabilitiesInfo, Chart, ReleaseInfo, RenderedObject, RenderResult, Values } from "./types.js";

/** The Kubernetes version `.Capabilities.KubeVersion` reports when the caller names none (as `helm template` defaults). */
export const DEFAULT_KUBE_VERSION = "v1.30.0";

/** Everything one render needs, as plain data (it crosses into the render process as JSON). */
export interface RenderJob {
  chart: Chart;
  /** User-supplied values (files and --set merged), before chart defaults. */
  values: Values;
  release: ReleaseInfo;
  capabilities?: Partial<CapabilitiesInfo>;
}

function capabilitiesObject(caps: Partial<CapabilitiesInfo> | undefined): Record<string, unknown> {
  const version = caps?.kubeVersion ?? DEFAULT_KUBE_VERSION;
  const m = /^v?(\d+)\.(\d+)/.exec(version);
  const apiVersions = [...(caps?.apiVersions ?? ["v1"])];
  return {
    KubeVersion: { Version: version, GitVersion: version, Major: m?.[1] ?? "", Minor: m?.[2] ?? "", toString: () => version },
    APIVersions: { list: apiVersions, Has: (v: string): boolean => apiVersions.includes(v) },
  };
}

interface ChartContext {
  valued: ValuedChart;
  /** `web` or `web/charts/redis`: the prefix of its template names. */
  path: string;
  root: Record<string, unknown>;
}

function contexts(valued: ValuedChart, job: RenderJob, capabilities: Record<string, unknown>, parentPath?: string): ChartContext[] {
  const path = parentPath === undefined ? valued.name : `${parentPath}/charts/${valued.name}`;
  const root = {
    Values: valued.values,
    Release: {
      Name: job.release.name,
      Namespace: job.release.namespace,
      Revision: job.release.revision,
      IsInstall: job.release.isInstall,
      IsUpgrade: job.release.isUpgrade,
      Service: job.release.service,
    },
    Chart: chartObject(valued.chart.metadata, valued.name),
    Capabilities: capabilities,
  };
  return [{ valued, path, root }, ...valued.subcharts.flatMap((s) => contexts(s, job, capabilities, path))];
}

/** Values are read-only to templates, so one template cannot change what the next one sees. */
function deepFreeze<T>(v: T): T {
  if (typeof v === "object" && v !== null && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const inner of Object.values(v)) deepFreeze(inner);
  }
  return v;
}

function isPartial(name: string): boolean {
  return name.slice(name.lastIndexOf("/") + 1).startsWith("_");
}

/**
 * Renders a chart in this process: coalesces values, checks them against every schema, runs the
 * `_` partials of every chart (so their `define`s exist), renders each other template with its
 * chart's context and parses the output. NOTES.txt of the top chart is rendered apart; library
 * charts render nothing of their own. Throws SchemaValidationError, TemplateError, ManifestError.
 * Templates are code: call this only inside the sandbox (`renderChart` does).
 */
export function renderChartUnsandboxed(job: RenderJob): RenderResult {
  const valued = valueChart(job.chart, job.values);
  validateValues(valued);
  deepFreeze(valued.values);
  const engine = new TemplateEngine();
  const charts = contexts(valued, job, capabilitiesObject(job.capabilities));
  const withTemplate = (c: ChartContext, file: string): object => ({ ...c.root, Template: { Name: file, BasePath: `${c.path}/templates` } });

  const pending: { c: ChartContext; compiled: CompiledTemplate }[] = [];
  for (const c of charts) {
    for (const t of c.valued.chart.templates) {
      const compiled = engine.compile(`${c.path}/${t.name}`, t.data);
      if (isPartial(t.name)) engine.loadPartial(compiled, withTemplate(c, compiled.file));
      else {
        engine.add(compiled);
        pending.push({ c, compiled });
      }
    }
  }

  let notes = "";
  const objects: RenderedObject[] = [];
  for (const { c, compiled } of pending) {
    if (c.valued.chart.metadata.type === "library") continue;
    const text = engine.render(compiled, withTemplate(c, compiled.file));
    if (compiled.file.endsWith("/templates/NOTES.txt")) {
      if (c === charts[0]) notes = text;
      continue;
    }
    objects.push(...parseRendered(compiled.file, text));
  }
  const sorted = sortForInstall(objects);
  return { objects: sorted, manifest: manifestText(sorted), notes };
}
