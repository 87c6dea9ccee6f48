// Chart.yaml: parsed and checked as Helm's chart.Metadata.Validate (apiVersion v2, name, SemVer version, type, dependencies).
import { ChartLoadError } from "./errors.js";
import type { ChartDependency, ChartMetadata } from "./types.js";

/** SemVer 2.0.0, with Helm's (Masterminds') leniency: an optional leading "v" and optional minor and patch. */
const SEMVER = /^v?(0|[1-9]\d*)(\.(0|[1-9]\d*)){0,2}(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/;

export function isSemver(version: string): boolean {
  return SEMVER.test(version);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function optionalString(raw: Record<string, unknown>, key: string, where: string): string | undefined {
  const v = raw[key];
  if (v === undefined || v === null) return undefined;
  // YAML reads `appVersion: 1.36` as a number; Helm keeps it as the text written.
  if (typeof v === "number") return String(v);
  if (typeof v !== "string") throw new ChartLoadError(`${where}: ${key} must be a string`);
  return v;
}

function stringList(raw: Record<string, unknown>, key: string, where: string): string[] | undefined {
  const v = raw[key];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || !v.every((s) => typeof s === "string")) throw new ChartLoadError(`${where}: ${key} must be a list of strings`);
  return v;
}

function parseDependency(raw: unknown, i: number, where: string): ChartDependency {
  const at = `${where}: dependencies[${i}]`;
  if (!isRecord(raw)) throw new ChartLoadError(`${at} must be a mapping`);
  const name = optionalString(raw, "name", at);
  if (!name) throw new ChartLoadError(`${at}: name is required`);
  const dep: ChartDependency = { name };
  for (const key of ["version", "repository", "condition", "alias"] as const) {
    const v = optionalString(raw, key, at);
    if (v !== undefined) dep[key] = v;
  }
  if (dep.alias !== undefined && !/^[a-zA-Z0-9_-]+$/.test(dep.alias)) throw new ChartLoadError(`${at}: alias "${dep.alias}" must contain only letters, digits, "-" and "_"`);
  const tags = stringList(raw, "tags", at);
  if (tags) dep.tags = tags;
  return dep;
}

/**
 * Chart.yaml's parsed YAML as metadata; `where` names the file in errors. Throws ChartLoadError
 * for a missing apiVersion/name/version, apiVersion other than v2, a version that is not SemVer,
 * an unknown type, or a name with a path separator.
 */
export function parseChartMetadata(raw: unknown, where: string): ChartMetadata {
  if (!isRecord(raw)) throw new ChartLoadError(`${where}: Chart.yaml must be a mapping`);
  const apiVersion = optionalString(raw, "apiVersion", where);
  if (!apiVersion) throw new ChartLoadError(`${where}: chart.metadata.apiVersion is required`);
  if (apiVersion !== "v2") throw new ChartLoadError(`${where}: apiVersion "${apiVersion}" is not supported: kpctl reads apiVersion v2 charts (Helm 3)`);
  const name = optionalString(raw, "name", where);
  if (!name) throw new ChartLoadError(`${where}: chart.metadata.name is required`);
  if (/[/\\]/.test(name) || name === "." || name === "..") throw new ChartLoadError(`${where}: chart.metadata.name "${name}" is invalid`);
  const version = optionalString(raw, "version", where);
  if (!version) throw new ChartLoadError(`${where}: chart.metadata.version is required`);
  if (!isSemver(version)) throw new ChartLoadError(`${where}: chart.metadata.version "${version}" is invalid: it must be a SemVer 2 version (1.2.3)`);
  const type = optionalString(raw, "type", where) ?? "application";
  if (type !== "application" && type !== "library") throw new ChartLoadError(`${where}: chart type "${type}" is invalid: application or library`);
  const deps = raw.dependencies ?? [];
  if (!Array.isArray(deps)) throw new ChartLoadError(`${where}: dependencies must be a list`);

  const md: ChartMetadata = { apiVersion: "v2", name, version, type, dependencies: deps.map((d, i) => parseDependency(d, i, where)) };
  for (const key of ["appVersion", "description", "kubeVersion", "home", "icon"] as const) {
    const v = optionalString(raw, key, where);
    if (v !== undefined) md[key] = v;
  }
  for (const key of ["keywords", "sources"] as const) {
    const v = stringList(raw, key, where);
    if (v) md[key] = v;
  }
  if (typeof raw.deprecated === "boolean") md.deprecated = raw.deprecated;
  if (isRecord(raw.annotations)) md.annotations = Object.fromEntries(Object.entries(raw.annotations).map(([k, v]) => [k, String(v)]));
  if (Array.isArray(raw.maintainers)) {
    md.maintainers = raw.maintainers.filter(isRecord).map((m) => ({
      name: String(m.name ?? ""),
      ...(m.email !== undefined ? { email: String(m.email) } : {}),
      ...(m.url !== undefined ? { url: String(m.url) } : {}),
    }));
  }
  return md;
}

/** `.Chart` as templates see it: Helm's capitalised field names. */
export function chartObject(md: ChartMetadata, name = md.name): Record<string, unknown> {
  return {
    Name: name,
    Version: md.version,
    AppVersion: md.appVersion ?? "",
    Description: md.description ?? "",
    Type: md.type,
    APIVersion: md.apiVersion,
    KubeVersion: md.kubeVersion ?? "",
    Keywords: md.keywords ?? [],
    Home: md.home ?? "",
    Sources: md.sources ?? [],
    Icon: md.icon ?? "",
    Deprecated: md.deprecated ?? false,
    Annotations: md.annotations ?? {},
    Maintainers: md.maintainers ?? [],
    Dependencies: md.dependencies,
  };
}
