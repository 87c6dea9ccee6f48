// Typed service configuration from defaults, an optional YAML file, environment and flags.
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { ConfigError, HelpRequested, type ConfigSource } from "./errors.js";

interface FieldBase {
  /** One line for `--help` and the service README. */
  description: string;
}
/** A free-form string; `validate` returns a reason when the value is unacceptable. */
export interface StringField extends FieldBase {
  type: "string";
  default?: string;
  required?: boolean;
  validate?: (value: string) => string | undefined;
}
/** An integer within [min, max]. */
export interface IntField extends FieldBase {
  type: "int";
  default?: number;
  required?: boolean;
  min?: number;
  max?: number;
}
export interface BoolField extends FieldBase {
  type: "bool";
  default?: boolean;
}
/** A Go-style duration ("300ms", "10s", "5m", "1h30m"), read as milliseconds. */
export interface DurationField extends FieldBase {
  type: "duration";
  default?: string;
  required?: boolean;
}
export interface EnumField<V extends string = string> extends FieldBase {
  type: "enum";
  values: readonly V[];
  default?: V;
  required?: boolean;
}
/** A comma-separated list on flags and env, a YAML sequence in the file. */
export interface ListField extends FieldBase {
  type: "list";
  default?: readonly string[];
}
export type FieldSpec = StringField | IntField | BoolField | DurationField | EnumField | ListField;
export type ConfigSchema = Readonly<Record<string, FieldSpec>>;

type ValueOf<F> = F extends { type: "string" }
  ? string
  : F extends { type: "int" }
    ? number
    : F extends { type: "bool" }
      ? boolean
      : F extends { type: "duration" }
        ? number
        : F extends { type: "enum"; values: readonly (infer V)[] }
          ? V
          : F extends { type: "list" }
            ? string[]
            : never;
type Always<F> = F extends { type: "bool" } | { type: "list" } | { default: unknown } | { required: true }
  ? true
  : false;

/** The typed configuration object a schema describes (durations in milliseconds). */
export type ConfigOf<S extends ConfigSchema> = {
  -readonly [K in keyof S]: Always<S[K]> extends true ? ValueOf<S[K]> : ValueOf<S[K]> | undefined;
};

/** Declares a schema while keeping its literal types, so `ConfigOf` is precise. */
export function defineConfig<const S extends ConfigSchema>(schema: S): S {
  return schema;
}

export interface ConfigSources {
  /** Command-line arguments without node and script (process.argv.slice(2)). */
  argv?: readonly string[];
  env?: NodeJS.ProcessEnv;
  /** Prefix of environment variables: `KP_APISERVER` reads `KP_APISERVER_GRPC_LISTEN`. */
  envPrefix: string;
  /** The program name shown in `--help`. */
  program?: string;
}

const kebab = (key: string): string => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const snake = (key: string): string => kebab(key).replace(/-/g, "_").toUpperCase();
const camel = (flag: string): string => flag.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** Parses a Go-style duration into milliseconds; undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  if (text === "0") return 0;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    total += Number(m[1]) * (units[m[2] ?? ""] ?? Number.NaN);
    matched = re.lastIndex;
  }
  return matched === text.length && matched > 0 && Number.isFinite(total) ? Math.round(total) : undefined;
}

function coerce(key: string, spec: FieldSpec, raw: unknown, source: ConfigSource): unknown {
  const fail = (reason: string): never => {
    throw new ConfigError(key, source, `${reason}, got ${JSON.stringify(raw)}`);
  };
  switch (spec.type) {
    case "string": {
      if (typeof raw !== "string" && typeof raw !== "number") fail("must be a string");
      const value = String(raw);
      const reason = spec.validate?.(value);
      if (reason) fail(reason);
      return value;
    }
    case "int": {
      const n = typeof raw === "number" ? raw : typeof raw === "string" && /^-?\d+$/.test(raw.trim()) ? Number(raw) : NaN;
      if (!Number.isSafeInteger(n)) fail("must be an integer");
      if (spec.min !== undefined && n < spec.min) fail(`must be at least ${spec.min}`);
      if (spec.max !== undefined && n > spec.max) fail(`must be at most ${spec.max}`);
      return n;
    }
    case "bool": {
      if (typeof raw === "boolean") return raw;
      if (raw === "true" || raw === "1") return true;
      if (raw === "false" || raw === "0") return false;
      return fail("must be true or false");
    }
    case "duration": {
      const ms = typeof raw === "string" ? parseDuration(raw.trim()) : undefined;
      if (ms === undefined) fail('must be a duration such as "500ms", "10s" or "1m30s"');
      return ms;
    }
    case "enum": {
      if (typeof raw !== "string" || !spec.values.includes(raw)) fail(`must be one of ${spec.values.join(", ")}`);
      return raw;
    }
    case "list": {
      if (Array.isArray(raw) && raw.every((v) => typeof v === "string")) return [...raw];
      if (typeof raw === "string") return raw.split(",").map((s) => s.trim()).filter((s) => s !== "");
      return fail("must be a list of strings");
    }
  }
}

/** The `--help` text for a schema. */
export function usage<S extends ConfigSchema>(schema: S, sources: Pick<ConfigSources, "envPrefix" | "program">): string {
  const lines = [`Usage: ${sources.program ?? "service"} [--config FILE] [flags]`, "", "Flags (environment variable in brackets):"];
  lines.push(`  --config FILE  YAML file with any of the keys below (camelCase) [${sources.envPrefix}_CONFIG]`);
  for (const [key, spec] of Object.entries(schema)) {
    const def = spec.default === undefined ? "" : ` (default ${JSON.stringify(spec.default)})`;
    const values = spec.type === "enum" ? ` {${spec.values.join("|")}}` : "";
    lines.push(`  --${kebab(key)}${values}  ${spec.description}${def} [${sources.envPrefix}_${snake(key)}]`);
  }
  return lines.join("\n");
}

function parseArgv(schema: ConfigSchema, argv: readonly string[]): { values: Map<string, unknown>; file?: string } {
  const values = new Map<string, unknown>();
  let file: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    if (!arg.startsWith("--")) throw new ConfigError(arg, "flag", "unexpected argument (flags are --name=value)");
    const eq = arg.indexOf("=");
    let name = arg.slice(2, eq === -1 ? undefined : eq);
    let inline: string | undefined = eq === -1 ? undefined : arg.slice(eq + 1);
    if (name === "help") throw new HelpRequested("");
    if (name === "config") {
      file = inline ?? argv[++i];
      if (file === undefined) throw new ConfigError("config", "flag", "needs a file path");
      continue;
    }
    let negated = false;
    if (!(camel(name) in schema) && name.startsWith("no-") && schema[camel(name.slice(3))]?.type === "bool") {
      name = name.slice(3);
      negated = true;
    }
    const key = camel(name);
    const spec = schema[key];
    if (!spec) throw new ConfigError(name, "flag", `unknown flag --${name}`);
    if (spec.type === "bool" && inline === undefined) {
      const next = argv[i + 1];
      if (next === "true" || next === "false") inline = argv[++i];
      else inline = negated ? "false" : "true";
    } else if (inline === undefined) {
      inline = argv[++i];
      if (inline === undefined) throw new ConfigError(key, "flag", `--${name} needs a value`);
    }
    values.set(key, inline);
  }
  return file === undefined ? { values } : { values, file };
}

/**
 * Reads a service's configuration: schema defaults, then the YAML file named by `--config` (or
 * `<PREFIX>_CONFIG`), then `<PREFIX>_<KEY>` environment variables, then `--key` flags — later wins.
 * Throws ConfigError naming the key on any bad, unknown or missing value, HelpRequested on --help.
 */
export function loadConfig<S extends ConfigSchema>(schema: S, sources: ConfigSources): ConfigOf<S> {
  const env = sources.env ?? process.env;
  let parsed: ReturnType<typeof parseArgv>;
  try {
    parsed = parseArgv(schema, sources.argv ?? []);
  } catch (err) {
    if (err instanceof HelpRequested) throw new HelpRequested(usage(schema, sources));
    throw err;
  }
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(schema)) {
    if (spec.default !== undefined) {
      out[key] = coerce(key, spec, spec.default, "default");
    } else if (spec.type === "bool") out[key] = false;
    else if (spec.type === "list") out[key] = [];
  }
  const file = parsed.file ?? env[`${sources.envPrefix}_CONFIG`];
  if (file) {
    let doc: unknown;
    try {
      doc = parseYaml(readFileSync(file, "utf8"));
    } catch (err) {
      throw new ConfigError("config", "file", `cannot read ${file}: ${(err as Error).message}`, { cause: err });
    }
    if (doc !== null && doc !== undefined) {
      if (typeof doc !== "object" || Array.isArray(doc)) throw new ConfigError("config", "file", `${file} must hold a mapping`);
      for (const [rawKey, raw] of Object.entries(doc)) {
        const key = camel(rawKey);
        const spec = schema[key];
        if (!spec) throw new ConfigError(rawKey, "file", `unknown key in ${file}`);
        out[key] = coerce(key, spec, raw, "file");
      }
    }
  }
  for (const [key, spec] of Object.entries(schema)) {
    const raw = env[`${sources.envPrefix}_${snake(key)}`];
    if (raw !== undefined && raw !== "") {
      out[key] = coerce(key, spec, raw, "env");
    }
  }
  for (const [key, raw] of parsed.values) {
    const spec = schema[key];
    if (spec) out[key] = coerce(key, spec, raw, "flag");
  }
  for (const [key, spec] of Object.entries(schema)) {
    if ("required" in spec && spec.required && out[key] === undefined) {
      throw new ConfigError(key, "default", `is required: set --${kebab(key)} or ${sources.envPrefix}_${snake(key)}`);
    }
  }
  return out as ConfigOf<S>;
}
