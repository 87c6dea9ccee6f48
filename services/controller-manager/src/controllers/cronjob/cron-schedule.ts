// Cron schedules as CronJobs use them (robfig/cron's standard parser): parsing and the next run time.
import { wallClock, wallToInstant } from "../util/time.js";

/** A schedule that does not parse (bad field, unknown macro or time zone); `code` is "CronParse". */
export class CronParseError extends Error {
  override readonly name = "CronParseError";
  readonly code = "CronParse";
}

/** A parsed schedule. Pure and immutable: safe to cache and share. */
export interface CronSchedule {
  /** The IANA zone the fields are read in; undefined means UTC. */
  readonly timeZone: string | undefined;
  /**
   * The first activation strictly after `after`, or undefined when none exists within five years
   * (e.g. `0 0 30 2 *`). Field schedules fire on whole minutes of the zone's wall clock: a wall time
   * that a DST spring-forward skips fires at the same moment shifted by the gap (02:30 → 03:30), a
   * wall time repeated by a fall-back fires once, at its first occurrence.
   */
  next(after: Date): Date | undefined;
}

const MACROS: Record<string, string> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};
const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

interface Bounds {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
  nameBase?: number;
  allowQuestion?: boolean;
}

const FIELDS: readonly Bounds[] = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day of month", min: 1, max: 31, allowQuestion: true },
  { name: "month", min: 1, max: 12, names: MONTHS, nameBase: 1 },
  { name: "day of week", min: 0, max: 6, names: DAYS, nameBase: 0, allowQuestion: true },
];

/** One field: which values match, and whether it was written as a bare `*`/`?` (matters for days). */
interface Field {
  values: boolean[];
  star: boolean;
}

const SEARCH_LIMIT_MS = 5 * 366 * 24 * 3600_000;
const MINUTE = 60_000;

/**
 * Parses a schedule: five fields (minute hour day-of-month month day-of-week) with `*`, `?`, lists,
 * ranges, steps (`*\/15`, `5/10`, `1-30/2`) and names (`jan`, `mon-fri`), or a macro (`@hourly`,
 * `@daily`, `@midnight`, `@weekly`, `@monthly`, `@yearly`, `@annually`, `@every 1h30m`). A leading
 * `CRON_TZ=<zone>` or `TZ=<zone>` overrides `timeZone`. When both day fields are restricted, a day
 * matches either (cron's OR rule). Throws CronParseError.
 */
export function parseCronSchedule(schedule: string, timeZone?: string): CronSchedule {
  let text = schedule.trim();
  let zone = timeZone === "" ? undefined : timeZone;
  const tz = /^(?:CRON_TZ|TZ)=(\S+)\s+(.*)$/.exec(text);
  if (tz) {
    zone = tz[1];
    text = tz[2]!.trim();
  }
  if (zone !== undefined) checkZone(zone);
  if (text.startsWith("@every ")) return everySchedule(parseDuration(text.slice(7).trim()), zone);
  if (text.startsWith("@")) {
    const expanded = MACROS[text.toLowerCase()];
    if (!expanded) throw new CronParseError(`unrecognized descriptor: ${text}`);
    text = expanded;
  }
  const parts = text.split(/\s+/).filter((f) => f !== "");
  if (parts.length !== 5) throw new CronParseError(`expected exactly 5 fields, found ${parts.length}: [${parts.join(" ")}]`);
  const [minute, hour, dom, month, dow] = parts.map((p, i) => parseField(p, FIELDS[i]!)) as [Field, Field, Field, Field, Field];
  return new FieldSchedule(minute, hour, dom, month, dow, zone);
}

class FieldSchedule implements CronSchedule {
  constructor(
    private readonly minute: Field,
    private readonly hour: Field,
    private readonly dom: Field,
    private readonly month: Field,
    private readonly dow: Field,
    readonly timeZone: string | undefined,
  ) {}

  next(after: Date): Date | undefined {
    const afterMs = after.getTime();
    // Walk the zone's wall clock (held in a UTC Date), skipping whole months, days and hours that
    // cannot match, then check the instant the wall time stands for.
    let t = Math.floor(wallClock(afterMs, this.timeZone) / MINUTE) * MINUTE + MINUTE;
    const limit = t + SEARCH_LIMIT_MS;
    while (t <= limit) {
      const d = new Date(t);
      const [y, mo, day, h] = [d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours()];
      if (!this.month.values[mo + 1]) {
        t = Date.UTC(y, mo + 1, 1);
      } else if (!this.dayMatches(d)) {
        t = Date.UTC(y, mo, day + 1);
      } else if (!this.hour.values[h]) {
        t = Date.UTC(y, mo, day, h + 1);
      } else if (!this.minute.values[d.getUTCMinutes()]) {
        t += MINUTE;
      } else {
        const instant = wallToInstant(t, this.timeZone);
        if (instant > afterMs) return new Date(instant);
        t += MINUTE;
      }
    }
    return undefined;
  }

  private dayMatches(d: Date): boolean {
    const domMatch = this.dom.values[d.getUTCDate()] === true;
    const dowMatch = this.dow.values[d.getUTCDay()] === true;
    return this.dom.star || this.dow.star ? domMatch && dowMatch : domMatch || dowMatch;
  }
}

/** `@every d`: d after the previous activation, whole seconds, at least one second (robfig's ConstantDelaySchedule). */
function everySchedule(delayMs: number, timeZone: string | undefined): CronSchedule {
  const delay = Math.max(1000, delayMs - (delayMs % 1000));
  return {
    timeZone,
    next: (after) => new Date(Math.floor(after.getTime() / 1000) * 1000 + delay),
  };
}

function parseField(text: string, b: Bounds): Field {
  const values: boolean[] = new Array<boolean>(b.max + 1).fill(false);
  let star = false;
  for (const part of text.split(",")) {
    const [range = "", stepText, extra] = part.split("/");
    if (extra !== undefined) throw new CronParseError(`too many slashes: ${part}`);
    let start: number;
    let end: number;
    let isStar = false;
    if (range === "*" || (range === "?" && b.allowQuestion)) {
      [start, end, isStar] = [b.min, b.max, true];
    } else {
      const [lo = "", hi, more] = range.split("-");
      if (more !== undefined) throw new CronParseError(`too many hyphens: ${range}`);
      start = value(lo, b);
      end = hi === undefined ? start : value(hi, b);
      // `5/10` means 5-max every 10.
      if (hi === undefined && stepText !== undefined) end = b.max;
    }
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText)) throw new CronParseError(`failed to parse int from ${stepText}`);
      step = Number(stepText);
      if (step === 0) throw new CronParseError(`step of range should be a positive number: ${part}`);
      if (step > 1) isStar = false;
    }
    if (start < b.min) throw new CronParseError(`beginning of range (${start}) below minimum (${b.min}): ${part}`);
    if (end > b.max) throw new CronParseError(`end of range (${end}) above maximum (${b.max}): ${part}`);
    if (start > end) throw new CronParseError(`beginning of range (${start}) beyond end of range (${end}): ${part}`);
    for (let v = start; v <= end; v += step) values[v] = true;
    star ||= isStar;
  }
  return { values, star };
}

function value(text: string, b: Bounds): number {
  const named = b.names?.indexOf(text.toLowerCase()) ?? -1;
  if (named >= 0) return named + (b.nameBase ?? 0);
  if (!/^\d+$/.test(text)) throw new CronParseError(`failed to parse int from ${text} in the ${b.name} field`);
  return Number(text);
}

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A Go duration (`1h30m`, `90s`, `1.5h`) in milliseconds. */
function parseDuration(text: string): number {
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let pos = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    pos = re.lastIndex;
  }
  if (text === "" || pos !== text.length) throw new CronParseError(`failed to parse duration @every ${text}`);
  return total;
}

function checkZone(zone: string): void {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
  } catch (cause) {
    throw new CronParseError(`unknown time zone ${zone}`, { cause });
  }
}
