// Cron schedule syntax as Kubernetes' CronJob accepts it (robfig/cron's standard parser).

const MACROS = new Set(["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"]);
const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

interface Bounds {
  min: number;
  max: number;
  names?: readonly string[];
  /** Index of names[0]. */
  nameBase?: number;
}

const FIELDS: readonly Bounds[] = [
  { min: 0, max: 59 },
  { min: 0, max: 23 },
  { min: 1, max: 31 },
  { min: 1, max: 12, names: MONTHS, nameBase: 1 },
  { min: 0, max: 6, names: DAYS, nameBase: 0 },
];

/** The problem with a cron schedule, or undefined when it is valid: five fields or a macro (`@hourly`, `@every 1h`). */
export function cronScheduleProblem(schedule: string): string | undefined {
  const text = schedule.trim();
  if (text.startsWith("@")) {
    if (MACROS.has(text)) return undefined;
    if (text.startsWith("@every ")) {
      return /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(text.slice(7).trim()) ? undefined : `failed to parse duration ${text}`;
    }
    return `unrecognized descriptor: ${text}`;
  }
  const fields = text.split(/\s+/).filter((f) => f !== "");
  if (fields.length !== 5) return `expected exactly 5 fields, found ${fields.length}: [${fields.join(" ")}]`;
  for (let i = 0; i < 5; i++) {
    const problem = fieldProblem(fields[i] ?? "", FIELDS[i] ?? { min: 0, max: 0 }, i >= 2 && i !== 3);
    if (problem) return problem;
  }
  return undefined;
}

function fieldProblem(field: string, b: Bounds, allowQuestion: boolean): string | undefined {
  for (const part of field.split(",")) {
    const [range = "", step, extra] = part.split("/");
    if (extra !== undefined) return `too many slashes: ${part}`;
    if (step !== undefined && !/^\d+$/.test(step)) return `failed to parse int from ${step}`;
    if (step !== undefined && Number(step) === 0) return `step of range should be a positive number: ${part}`;
    if (range === "*" || (allowQuestion && range === "?")) continue;
    const [lo = "", hi, more] = range.split("-");
    if (more !== undefined) return `too many hyphens: ${range}`;
    const start = value(lo, b);
    if (start === undefined) return `failed to parse int from ${lo}`;
    const end = hi === undefined ? start : value(hi, b);
    if (end === undefined) return `failed to parse int from ${hi ?? ""}`;
    if (start < b.min) return `beginning of range (${start}) below minimum (${b.min}): ${part}`;
    if (end > b.max) return `end of range (${end}) above maximum (${b.max}): ${part}`;
    if (start > end) return `beginning of range (${start}) beyond end of range (${end}): ${part}`;
  }
  return undefined;
}

function value(text: string, b: Bounds): number | undefined {
  const named = b.names?.indexOf(text.toLowerCase()) ?? -1;
  if (named >= 0) return named + (b.nameBase ?? 0);
  return /^\d+$/.test(text) ? Number(text) : undefined;
}
