// Unit tests of the cron schedule parser and next-run computation.
import assert from "node:assert/strict";
import { test } from "node:test";
import { CronParseError, parseCronSchedule } from "./cron-schedule.js";
import { formatInZone, formatTime, wallToInstant } from "../util/time.js";

/** The next `count` activations after `from`, as RFC 3339 strings. */
function runs(schedule: string, from: string, count = 1, timeZone?: string): string[] {
  const s = parseCronSchedule(schedule, timeZone);
  const out: string[] = [];
  let t = new Date(from);
  for (let i = 0; i < count; i++) {
    const n = s.next(t);
    if (!n) break;
    out.push(formatTime(n));
    t = n;
  }
  return out;
}

test("every minute fires on the next whole minute, strictly after the given time", () => {
  assert.deepEqual(runs("* * * * *", "2026-01-01T10:00:00Z", 3), ["2026-01-01T10:01:00Z", "2026-01-01T10:02:00Z", "2026-01-01T10:03:00Z"]);
  assert.deepEqual(runs("* * * * *", "2026-01-01T10:00:59.999Z"), ["2026-01-01T10:01:00Z"]);
  assert.deepEqual(runs("* * * * *", "2026-01-01T23:59:30Z"), ["2026-01-02T00:00:00Z"]);
});

test("steps, ranges and lists combine", () => {
  assert.deepEqual(runs("*/15 * * * *", "2026-01-01T10:07:00Z", 4), ["2026-01-01T10:15:00Z", "2026-01-01T10:30:00Z", "2026-01-01T10:45:00Z", "2026-01-01T11:00:00Z"]);
  assert.deepEqual(runs("5/20 * * * *", "2026-01-01T10:00:00Z", 4), ["2026-01-01T10:05:00Z", "2026-01-01T10:25:00Z", "2026-01-01T10:45:00Z", "2026-01-01T11:05:00Z"]);
  assert.deepEqual(runs("0 9-17/4 * * *", "2026-01-01T00:00:00Z", 4), ["2026-01-01T09:00:00Z", "2026-01-01T13:00:00Z", "2026-01-01T17:00:00Z", "2026-01-02T09:00:00Z"]);
  assert.deepEqual(runs("0,30 8,20 * * *", "2026-01-01T08:10:00Z", 3), ["2026-01-01T08:30:00Z", "2026-01-01T20:00:00Z", "2026-01-01T20:30:00Z"]);
  assert.deepEqual(runs("10-12 0 * * *", "2026-01-01T00:10:00Z", 3), ["2026-01-01T00:11:00Z", "2026-01-01T00:12:00Z", "2026-01-02T00:10:00Z"]);
});

test("month and day names are case-insensitive", () => {
  // 2026-01-01 is a Thursday.
  assert.deepEqual(runs("0 9 * * MON-fri", "2026-01-01T12:00:00Z", 3), ["2026-01-02T09:00:00Z", "2026-01-05T09:00:00Z", "2026-01-06T09:00:00Z"]);
  assert.deepEqual(runs("0 0 1 jan,JUL *", "2026-01-01T00:00:00Z", 2), ["2026-07-01T00:00:00Z", "2027-01-01T00:00:00Z"]);
  assert.deepEqual(runs("0 0 * feb-mar sun", "2026-01-01T00:00:00Z", 2), ["2026-02-01T00:00:00Z", "2026-02-08T00:00:00Z"]);
});

test("macros expand to their five-field schedules", () => {
  const from = "2026-05-13T10:20:00Z"; // a Wednesday
  assert.deepEqual(runs("@hourly", from), ["2026-05-13T11:00:00Z"]);
  assert.deepEqual(runs("@daily", from), ["2026-05-14T00:00:00Z"]);
  assert.deepEqual(runs("@midnight", from), ["2026-05-14T00:00:00Z"]);
  assert.deepEqual(runs("@weekly", from), ["2026-05-17T00:00:00Z"]);
  assert.deepEqual(runs("@monthly", from), ["2026-06-01T00:00:00Z"]);
  assert.deepEqual(runs("@yearly", from), ["2027-01-01T00:00:00Z"]);
  assert.deepEqual(runs("@annually", from), ["2027-01-01T00:00:00Z"]);
});

test("@every adds the interval in whole seconds", () => {
  assert.deepEqual(runs("@every 1h30m", "2026-01-01T10:00:00.700Z", 2), ["2026-01-01T11:30:00Z", "2026-01-01T13:00:00Z"]);
  assert.deepEqual(runs("@every 500ms", "2026-01-01T10:00:00Z"), ["2026-01-01T10:00:01Z"]);
});

test("restricted day-of-month and day-of-week match either; a star in one makes it AND", () => {
  // The 13th or any Friday: 2026-02-06 is a Friday, 2026-02-13 both.
  assert.deepEqual(runs("0 0 13 * 5", "2026-02-01T00:00:00Z", 3), ["2026-02-06T00:00:00Z", "2026-02-13T00:00:00Z", "2026-02-20T00:00:00Z"]);
  assert.deepEqual(runs("0 0 13 * *", "2026-02-01T00:00:00Z", 2), ["2026-02-13T00:00:00Z", "2026-03-13T00:00:00Z"]);
  assert.deepEqual(runs("0 0 ? * 5", "2026-02-01T00:00:00Z", 1), ["2026-02-06T00:00:00Z"]);
  // A stepped star is a restriction: every other day of month OR Sundays.
  assert.deepEqual(runs("0 0 */10 * 0", "2026-02-01T00:00:00Z", 3), ["2026-02-08T00:00:00Z", "2026-02-11T00:00:00Z", "2026-02-15T00:00:00Z"]);
});

test("months of different lengths and leap days", () => {
  assert.deepEqual(runs("0 0 31 * *", "2026-01-31T00:00:00Z", 3), ["2026-03-31T00:00:00Z", "2026-05-31T00:00:00Z", "2026-07-31T00:00:00Z"]);
  assert.deepEqual(runs("0 12 29 2 *", "2026-01-01T00:00:00Z"), ["2028-02-29T12:00:00Z"]);
  assert.deepEqual(runs("0 0 30 2 *", "2026-01-01T00:00:00Z"), [], "a date that never exists has no next run");
});

test("time zones: fields are read on the zone's wall clock", () => {
  // 09:00 in Berlin is 08:00Z in winter (CET) and 07:00Z in summer (CEST).
  assert.deepEqual(runs("0 9 * * *", "2026-01-10T12:00:00Z", 1, "Europe/Berlin"), ["2026-01-11T08:00:00Z"]);
  assert.deepEqual(runs("0 9 * * *", "2026-07-10T12:00:00Z", 1, "Europe/Berlin"), ["2026-07-11T07:00:00Z"]);
  // A TZ prefix in the schedule overrides the argument.
  assert.deepEqual(runs("CRON_TZ=Asia/Tokyo 0 9 * * *", "2026-01-10T12:00:00Z", 1, "Europe/Berlin"), ["2026-01-11T00:00:00Z"]);
  assert.deepEqual(runs("TZ=America/New_York @daily", "2026-01-10T12:00:00Z"), ["2026-01-11T05:00:00Z"]);
  assert.equal(parseCronSchedule("* * * * *", "").timeZone, undefined);
});

test("DST: a skipped wall time fires shifted by the gap, a repeated one fires once", () => {
  // New York springs forward on 2026-03-08 at 02:00 EST → 03:00 EDT.
  assert.deepEqual(runs("30 2 * * *", "2026-03-07T12:00:00Z", 3, "America/New_York"), ["2026-03-08T07:30:00Z", "2026-03-09T06:30:00Z", "2026-03-10T06:30:00Z"]);
  // And falls back on 2026-11-01 at 02:00 EDT → 01:00 EST: 01:30 happens twice, fires at the first.
  assert.deepEqual(runs("30 1 * * *", "2026-10-31T12:00:00Z", 2, "America/New_York"), ["2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"]);
  // An hourly schedule across the spring-forward hour never goes backwards.
  const hourly = runs("0 * * * *", "2026-03-08T05:30:00Z", 3, "America/New_York");
  assert.deepEqual(hourly, ["2026-03-08T06:00:00Z", "2026-03-08T07:00:00Z", "2026-03-08T08:00:00Z"]);
});

test("bad schedules are CronParseErrors naming the problem", () => {
  const bad: Array<[string, RegExp]> = [
    ["* * * *", /expected exactly 5 fields, found 4/],
    ["60 * * * *", /end of range \(60\) above maximum \(59\)/],
    ["* 24 * * *", /above maximum \(23\)/],
    ["* * 0 * *", /below minimum \(1\)/],
    ["5-1 * * * *", /beginning of range \(5\) beyond end of range \(1\)/],
    ["*/0 * * * *", /step of range should be a positive number/],
    ["1/2/3 * * * *", /too many slashes/],
    ["1-2-3 * * * *", /too many hyphens/],
    ["x * * * *", /failed to parse int from x in the minute field/],
    ["? * * * *", /failed to parse int from \?/],
    ["* * * * 7", /above maximum \(6\)/],
    ["@sometimes", /unrecognized descriptor/],
    ["@every fortnight", /failed to parse duration/],
    ["TZ=Mars/Olympus * * * * *", /unknown time zone Mars\/Olympus/],
  ];
  for (const [schedule, message] of bad) {
    assert.throws(() => parseCronSchedule(schedule), (err: unknown) => err instanceof CronParseError && err.code === "CronParse" && message.test(err.message), schedule);
  }
  assert.throws(() => parseCronSchedule("* * * * *", "Nowhere/Town"), CronParseError);
});

test("zone helpers: offsets in RFC 3339 and wall times to instants", () => {
  assert.equal(formatInZone(new Date("2026-07-01T07:00:00.400Z"), "Europe/Berlin"), "2026-07-01T09:00:00+02:00");
  assert.equal(formatInZone(new Date("2026-07-01T07:00:00Z"), "America/St_Johns"), "2026-07-01T04:30:00-02:30");
  assert.equal(formatInZone(new Date("2026-07-01T07:00:00Z"), undefined), "2026-07-01T07:00:00Z");
  assert.equal(formatInZone(new Date("2026-07-01T07:00:00Z"), "UTC"), "2026-07-01T07:00:00Z");
  assert.equal(wallToInstant(Date.UTC(2026, 0, 1, 9), "Asia/Kolkata"), Date.UTC(2026, 0, 1, 3, 30));
});
