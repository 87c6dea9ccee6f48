// values.schema.json checks with ajv, worded as Helm's: each problem at the JSON path of the value it concerns.
import type { ErrorObject, Options, ValidateFunction } from "ajv";
import Ajv from "ajv";
import Ajv2019 from "ajv/dist/2019.js";
import Ajv2020 from "ajv/dist/2020.js";
import type { ValuedChart } from "./coalesce.js";
import { ChartLoadError, SchemaValidationError, type SchemaProblem } from "./errors.js";

const OPTIONS: Options = {
  allErrors: true,
  // Chart schemas use keywords and formats Helm's validator ignores; so do we (no console warnings either).
  strict: false,
  validateFormats: false,
  logger: false,
};

/** A validator for the draft the schema names in `$schema` (2020-12, 2019-09, else draft-07 as most charts use). */
function compile(schema: unknown, chart: string): ValidateFunction {
  const draft = typeof schema === "object" && schema !== null ? String((schema as { $schema?: unknown }).$schema ?? "") : "";
  const ajv = draft.includes("2020-12") ? new Ajv2020.default(OPTIONS) : draft.includes("2019-09") ? new Ajv2019.default(OPTIONS) : new Ajv.default(OPTIONS);
  try {
    return ajv.compile(schema as object);
  } catch (err) {
    throw new ChartLoadError(`${chart}: values.schema.json is not a valid JSON Schema: ${(err as Error).message}`, { cause: err });
  }
}

function describe(e: ErrorObject): string {
  const p = e.params as Record<string, unknown>;
  const message = e.message ?? e.keyword;
  if (e.keyword === "additionalProperties") return `${message}: '${String(p.additionalProperty)}'`;
  if (e.keyword === "enum" && Array.isArray(p.allowedValues)) return `${message}: ${p.allowedValues.map((v) => JSON.stringify(v)).join(", ")}`;
  if (e.keyword === "const") return `${message}: ${JSON.stringify(p.allowedValue)}`;
  return message;
}

/** The problems of one chart's values against its schema ([] when it has none or they conform). */
export function schemaProblems(chart: string, schema: unknown, values: unknown): SchemaProblem[] {
  if (schema === undefined) return [];
  const validate = compile(schema, chart);
  if (validate(values)) return [];
  const seen = new Set<string>();
  const out: SchemaProblem[] = [];
  for (const e of validate.errors ?? []) {
    const problem = { chart, path: e.instancePath, message: describe(e) };
    const key = `${problem.path}\0${problem.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(problem);
  }
  return out;
}

/**
 * Checks the values of a chart and of each enabled subchart against their own schemas, as Helm
 * does. Throws SchemaValidationError listing every problem (chart, JSON path, reason).
 */
export function validateValues(valued: ValuedChart): void {
  const problems: SchemaProblem[] = [];
  const visit = (v: ValuedChart): void => {
    problems.push(...schemaProblems(v.name, v.chart.schema, v.values));
    v.subcharts.forEach(visit);
  };
  visit(valued);
  if (problems.length) throw new SchemaValidationError(problems);
}
