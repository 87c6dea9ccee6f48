// Time helpers of the batch controllers: RFC 3339 timestamps, and wall clocks of IANA time zones.

/** An instant as Kubernetes writes timestamps: RFC 3339, UTC, whole seconds. */
export function formatTime(date: Date | number): string {
  return new Date(Math.floor(new Date(date).getTime() / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** A timestamp's instant in ms, or undefined when it is empty or unreadable. */
export function parseTime(text: string | undefined): number | undefined {
  if (!text) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

/** RFC 3339 in the zone's local time with its offset (`2026-03-10T09:00:00+01:00`); UTC ("Z") without a zone. */
export function formatInZone(date: Date, timeZone: string | undefined): string {
  if (!timeZone) return formatTime(date);
  const instant = Math.floor(date.getTime() / 1000) * 1000;
  const offsetMin = Math.round(offsetMs(instant, timeZone) / 60_000);
  const local = new Date(instant + offsetMin * 60_000).toISOString().slice(0, 19);
  if (offsetMin === 0) return `${local}Z`;
  const abs = Math.abs(offsetMin);
  const sign = offsetMin < 0 ? "-" : "+";
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** The zone's offset from UTC at `instant`, in ms (east positive). */
function offsetMs(instant: number, timeZone: string): number {
  const whole = Math.floor(instant / 1000) * 1000;
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(whole))) if (p.type !== "literal") parts[p.type] = Number(p.value);
  const wall = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
  return wall - whole;
}

/** The zone's wall clock at `instant`, as ms of a UTC Date (read it with getUTC…). No zone: UTC. */
export function wallClock(instant: number, timeZone: string | undefined): number {
  return timeZone ? instant + offsetMs(instant, timeZone) : instant;
}

/**
 * The instant a wall time of the zone stands for. An ambiguous wall time (a fall-back repeats it)
 * is its first occurrence; one that does not exist (a spring-forward skips it) is read with the
 * offset before the change, so 02:30 becomes 03:30 (as Go's time.Date does).
 */
export function wallToInstant(wall: number, timeZone: string | undefined): number {
  if (!timeZone) return wall;
  const DAY_HALF = 14 * 3600_000;
  const before = offsetMs(wall - DAY_HALF, timeZone);
  const after = offsetMs(wall + DAY_HALF, timeZone);
  const valid = [before, after].map((o) => wall - o).filter((c) => offsetMs(c, timeZone) === wall - c);
  if (valid.length > 0) return Math.min(...valid);
  return wall - before;
}
