// The shapes of a loaded chart, its values, a release's identity and the rendered result.

/** A plain JSON-like map of values (what values.yaml and `--set` produce). */
export type Values = Record<string, unknown>;

/** One entry of Chart.yaml `dependencies`, matched by `name` to a folder under `charts/`. */
export interface ChartDependency {
  name: string;
  version?: string;
  repository?: string;
  /** Comma-separated value paths (`redis.enabled`); the first that holds a boolean enables or disables the subchart. */
  condition?: string;
  /** The subchart is enabled if any of these `tags.<tag>` values is true (a condition wins over tags). */
  tags?: string[];
  /** The name the subchart is known by: its values key and `.Chart.Name`. */
  alias?: string;
}

/** Chart.yaml (apiVersion v2), as Helm's chart.Metadata. */
export interface ChartMetadata {
  apiVersion: "v2";
  name: string;
  /** SemVer 2 version of the chart. */
  version: string;
  appVersion?: string;
  description?: string;
  type: "application" | "library";
  kubeVersion?: string;
  keywords?: string[];
  home?: string;
  sources?: string[];
  icon?: string;
  deprecated?: boolean;
  annotations?: Record<string, string>;
  maintainers?: { name: string; email?: string; url?: string }[];
  dependencies: ChartDependency[];
}

/** A text file of a chart, named by its path from the chart's root (`templates/deployment.yaml`). */
export interface ChartFile {
  name: string;
  data: string;
}

/**
 * A chart as `loadChart` reads it from a directory: plain data only, so it can be sent to the
 * render process as JSON. Subcharts come from `charts/<name>/` folders.
 */
export interface Chart {
  metadata: ChartMetadata;
  /** values.yaml: the chart's defaults. */
  values: Values;
  /** values.schema.json, parsed; undefined when the chart has none. */
  schema?: unknown;
  /** Every file under templates/ (partials, NOTES.txt and manifests), sorted by name. */
  templates: ChartFile[];
  subcharts: Chart[];
}

/** `.Release` of a render: who the objects are for. */
export interface ReleaseInfo {
  name: string;
  namespace: string;
  revision: number;
  isInstall: boolean;
  isUpgrade: boolean;
  /** Helm says "Helm"; kpctl says "kpctl". */
  service: string;
}

/** `.Capabilities` of a render: the cluster version and the group/versions (and group/version/Kinds) it serves. */
export interface CapabilitiesInfo {
  kubeVersion: string;
  apiVersions: string[];
}

/** One Kubernetes object a template produced, with the template it came from (`web/templates/service.yaml`). */
export interface RenderedObject {
  template: string;
  object: Record<string, unknown>;
}

/** The outcome of a render: objects in install order, the manifest text per document, and NOTES.txt. */
export interface RenderResult {
  objects: RenderedObject[];
  /** Helm's manifest: each document as `---\n# Source: <template>\n<yaml>`, in template order. */
  manifest: string;
  /** The top chart's rendered NOTES.txt, "" when it has none. */
  notes: string;
}
