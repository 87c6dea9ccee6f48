// A small kubectl-style flag parser: `--flag value`, `--flag=value`, `-n ns`, `-nns`, `--bool=false`, repeated flags.

export type FlagType = "string" | "boolean" | "strings" | "array";

/** One flag a command accepts; `strings` flags may repeat (`-f a -f b`) and split on commas, `array` flags repeat without splitting (`--env A=1,2`). */
export interface FlagSpec {
  readonly name: string;
  readonly short?: string;
  readonly type: FlagType;
  readonly description: string;
  readonly default?: string | boolean;
  /** Placeholder in usage text ("FILENAME"). */
  readonly value?: string;
}

/** A command line kpctl cannot make sense of; printed with a pointer to `--help`. */
export class UsageError extends Error {
  override readonly name = "UsageError";
  readonly code = "EUSAGE";
}

/** The parsed flags, read through typed getters. */
export class Flags {
  constructor(private readonly values: ReadonlyMap<string, string | boolean | string[]>) {}

  string(name: string): string | undefined {
    const v = this.values.get(name);
    return typeof v === "string" ? v : undefined;
  }

  boolean(name: string): boolean {
    return this.values.get(name) === true;
  }

  strings(name: string): string[] {
    const v = this.values.get(name);
    return Array.isArray(v) ? v : [];
  }

  has(name: string): boolean {
    return this.values.has(name);
  }
}

export interface ParsedArgs {
  flags: Flags;
  positionals: string[];
}

function parseBoolean(flag: string, value: string): boolean {
  if (value === "true") return true;
  if (value === "false") return false;
  throw new UsageError(`invalid argument "${value}" for "${flag}" flag: must be true or false`);
}

/** Parses argv against the specs; flags and positionals may interleave; `--` ends the flags. */
export function parseArgs(argv: readonly string[], specs: readonly FlagSpec[]): ParsedArgs {
  const byLong = new Map(specs.map((s) => [s.name, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short as string, s]));
  const values = new Map<string, string | boolean | string[]>();
  for (const s of specs) if (s.default !== undefined) values.set(s.name, s.default);
  const positionals: string[] = [];

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith("-") || arg === "-") {
      positionals.push(arg);
      continue;
    }
    let spec: FlagSpec | undefined;
    let inline: string | undefined;
    let shown: string;
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      inline = eq < 0 ? undefined : arg.slice(eq + 1);
      spec = byLong.get(name);
      shown = `--${name}`;
    } else {
      const letter = arg.slice(1, 2);
      const rest = arg.slice(2);
      spec = byShort.get(letter);
      shown = `-${letter}`;
      if (rest) inline = rest.startsWith("=") ? rest.slice(1) : rest;
      if (spec?.type === "boolean" && rest && !rest.startsWith("=")) {
        // A bundle of boolean shorthands, as pflag: `-it` is `-i -t`.
        for (const letter of rest) {
          const bundled = byShort.get(letter);
          if (bundled?.type !== "boolean") throw new UsageError(`unknown shorthand flag: '${letter}' in ${arg}`);
          values.set(bundled.name, true);
        }
        inline = undefined;
      }
    }
    if (!spec) throw new UsageError(arg.startsWith("--") ? `unknown flag: ${shown}` : `unknown shorthand flag: '${shown.slice(1)}' in ${arg}`);

    if (spec.type === "boolean") {
      values.set(spec.name, inline === undefined ? true : parseBoolean(shown, inline));
      continue;
    }
    let value = inline;
    if (value === undefined) {
      if (i + 1 >= argv.length) throw new UsageError(`flag needs an argument: ${shown}`);
      value = argv[++i] as string;
    }
    if (spec.type === "string") values.set(spec.name, value);
    else {
      const prev = values.get(spec.name);
      const added = spec.type === "array" ? [value] : value.split(",").filter((v) => v !== "");
      values.set(spec.name, [...(Array.isArray(prev) ? prev : []), ...added]);
    }
  }
  return { flags: new Flags(values), positionals };
}

/** The first positional of argv (the command), skipping the values of the given string flags. */
export function splitCommand(argv: readonly string[], specs: readonly FlagSpec[]): { command: string | undefined; rest: string[] } {
  const takesValue = new Set<string>();
  for (const s of specs) {
    if (s.type === "boolean") continue;
    takesValue.add(`--${s.name}`);
    if (s.short) takesValue.add(`-${s.short}`);
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--") break;
    if (arg.startsWith("-") && arg !== "-") {
      if (takesValue.has(arg)) i++;
      continue;
    }
    return { command: arg, rest: [...argv.slice(0, i), ...argv.slice(i + 1)] };
  }
  return { command: undefined, rest: [...argv] };
}

/** kubectl's --request-timeout: "0" (none), a bare number of seconds, or 500ms/10s/2m/1h. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new UsageError(`invalid duration "${text}": use e.g. 10s, 2m, 1h`);
  const n = Number(m[1]);
  const unit = m[2] ?? "s";
  const factor = unit === "ms" ? 1 : unit === "s" ? 1000 : unit === "m" ? 60_000 : 3_600_000;
  return n * factor;
}
