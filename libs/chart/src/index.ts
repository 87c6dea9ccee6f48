// Helm-style charts rendered with eta: load a chart, merge values, check them against values.schema.json, render in a sandbox process.
export { chartObject, isSemver, parseChartMetadata } from "./chart-metadata.js";
export { coalesceValues, dependencyEnabled, mergeValues, userValues, valueChart, type UserValueSources, type ValuedChart } from "./coalesce.js";
export {
  ChartError,
  ChartLoadError,
  ManifestError,
  RenderLimitError,
  RenderProcessError,
  SchemaValidationError,
  TemplateError,
  ValuesError,
  type ChartErrorCode,
  type SchemaProblem,
} from "./errors.js";
export { HELPERS, isEmpty, TemplateFailure } from "./helpers.js";
export { loadChart, loadValuesFile } from "./load-chart.js";
export { INSTALL_ORDER, manifestText, parseManifest, parseRendered, sortForInstall, sortForUninstall, splitDocuments } from "./manifests.js";
export { DEFAULT_KUBE_VERSION, renderChartUnsandboxed, type RenderJob } from "./render.js";
export { DEFAULT_RENDER_MAX_OLD_SPACE_MB, DEFAULT_RENDER_TIMEOUT_MS, renderChart, type RenderLimits } from "./sandbox.js";
export { schemaProblems, validateValues } from "./schema.js";
export { parseSet, typedValue } from "./strvals.js";
export type { CapabilitiesInfo, Chart, ChartDependency, ChartFile, ChartMetadata, ReleaseInfo, RenderedObject, RenderResult, Values } from "./types.js";
