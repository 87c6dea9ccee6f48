// Named errors of chart loading, values, schema validation and rendering, each with a stable `code`.

/** Codes of every chart error, so an error that crossed the render process's boundary is rebuilt as the same class. */
export type ChartErrorCode = "ECHARTLOAD" | "EVALUES" | "ESCHEMA" | "ETEMPLATE" | "EMANIFEST" | "ERENDERLIMIT" | "ERENDERPROCESS";

/** Base class: a chart that cannot be loaded, valued or rendered. `code` says which step refused it. */
export class ChartError extends Error {
  override readonly name: string = "ChartError";
  readonly code: ChartErrorCode;
  constructor(message: string, code: ChartErrorCode, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

/** Thrown by `loadChart` when Chart.yaml, values.yaml, the schema or a subchart is missing or malformed. */
export class ChartLoadError extends ChartError {
  override readonly name = "ChartLoadError";
  constructor(message: string, options?: ErrorOptions) {
    super(message, "ECHARTLOAD", options);
  }
}

/** Thrown for a `--set` expression or a values file that cannot be parsed. */
export class ValuesError extends ChartError {
  override readonly name = "ValuesError";
  constructor(message: string, options?: ErrorOptions) {
    super(message, "EVALUES", options);
  }
}

/** One schema violation: the chart whose schema refused, the JSON pointer of the value, and why. */
export interface SchemaProblem {
  chart: string;
  /** JSON pointer into the values ("/image/tag"); "" is the whole document. */
  path: string;
  message: string;
}

/** Thrown when the values do not satisfy a chart's `values.schema.json`; the message lists every problem by path. */
export class SchemaValidationError extends ChartError {
  override readonly name = "SchemaValidationError";
  readonly problems: readonly SchemaProblem[];
  constructor(problems: readonly SchemaProblem[]) {
    const charts = [...new Set(problems.map((p) => p.chart))];
    const lines = charts.flatMap((chart) => [
      `${chart}:`,
      ...problems.filter((p) => p.chart === chart).map((p) => `- at '${p.path || "/"}': ${p.message}`),
    ]);
    super(`values don't meet the specifications of the schema(s) in the following chart(s):\n${lines.join("\n")}`, "ESCHEMA");
    this.problems = problems;
  }
}

/** Thrown when a template does not compile or throws while rendering; `file` and `line` point into the chart. */
export class TemplateError extends ChartError {
  override readonly name = "TemplateError";
  /** The template's path as Helm names it: `web/templates/deployment.yaml`. */
  readonly file: string;
  /** 1-based line of the tag that failed; 0 when unknown. */
  readonly line: number;
  constructor(file: string, line: number, reason: string, options?: ErrorOptions) {
    super(`template: ${file}${line ? `:${line}` : ""}: ${reason}`, "ETEMPLATE", options);
    this.file = file;
    this.line = line;
  }
}

/** Thrown when a template's output is not YAML, or a document is not an object with apiVersion and kind. */
export class ManifestError extends ChartError {
  override readonly name = "ManifestError";
  constructor(message: string, options?: ErrorOptions) {
    super(message, "EMANIFEST", options);
  }
}

/** Thrown when rendering ran past its time or memory limit and the render process was killed. */
export class RenderLimitError extends ChartError {
  override readonly name = "RenderLimitError";
  constructor(message: string) {
    super(message, "ERENDERLIMIT");
  }
}

/** Thrown when the render process could not be started or ended without an answer (not a limit). */
export class RenderProcessError extends ChartError {
  override readonly name = "RenderProcessError";
  constructor(message: string, options?: ErrorOptions) {
    super(message, "ERENDERPROCESS", options);
  }
}
