// Reads the parts of a systemd service unit that the unit runner honours: ExecStart, Environment, WorkingDirectory, Restart, timings.
import { readFile } from "node:fs/promises";

/** systemd's Restart= values. */
export type RestartPolicy = "no" | "on-success" | "on-failure" | "on-abnormal" | "on-watchdog" | "on-abort" | "always";

/** What the runner needs of a unit. Everything else (hardening, ordering) is systemd's job on a real machine. */
export interface ServiceUnit {
  name: string;
  argv: string[];
  environment: Record<string, string>;
  workingDirectory: string | undefined;
  restart: RestartPolicy;
  restartSecMs: number;
  timeoutStopMs: number;
  /** KillMode=process: only the main process is signalled (containerd leaves its shims running). */
  killMainOnly: boolean;
}

/** Thrown for a unit the runner cannot run (no ExecStart, an unknown Restart=, a malformed time span). */
export class UnitFileError extends Error {
  readonly code = "EUNITFILE";
  constructor(message: string) {
    super(message);
    this.name = "UnitFileError";
  }
}

const RESTART = new Set<RestartPolicy>(["no", "on-success", "on-failure", "on-abnormal", "on-watchdog", "on-abort", "always"]);

/** The unit's `[Section] Key=Value` entries, continuation lines joined, comments dropped; repeated keys in order. */
export function unitEntries(text: string): Array<{ section: string; key: string; value: string }> {
  const out: Array<{ section: string; key: string; value: string }> = [];
  let section = "";
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    let line = (lines[i] as string).trim();
    while (line.endsWith("\\") && i + 1 < lines.length) line = `${line.slice(0, -1)} ${(lines[++i] as string).trim()}`;
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      section = header[1] as string;
      continue;
    }
    const eq = line.indexOf("=");
    if (eq > 0) out.push({ section, key: line.slice(0, eq).trim(), value: line.slice(eq + 1).trim() });
  }
  return out;
}

/** systemd's word splitting: whitespace separates, double or single quotes group, `\` escapes; `%%` is a literal `%`. */
export function splitWords(value: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let quote: string | undefined;
  for (let i = 0; i < value.length; i++) {
    const c = value[i] as string;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === "\\" && i + 1 < value.length) word += value[++i];
      else word += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else if (c === "\\" && i + 1 < value.length) {
      word += value[++i];
      inWord = true;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote) throw new UnitFileError(`unterminated quote in ${JSON.stringify(value)}`);
  if (inWord) words.push(word);
  return words.map((w) => w.replaceAll("%%", "%"));
}

/** A systemd time span ("2", "2s", "500ms", "1min 30s") in milliseconds. */
export function timeSpanMs(value: string): number {
  const units: Record<string, number> = { "": 1000, us: 0.001, ms: 1, s: 1000, sec: 1000, m: 60_000, min: 60_000, h: 3_600_000 };
  let total = 0;
  const parts = value.trim().split(/\s+/);
  for (const part of parts) {
    const m = /^(\d+(?:\.\d+)?)([a-z]*)$/.exec(part);
    const factor = m ? units[m[2] as string] : undefined;
    if (!m || factor === undefined) throw new UnitFileError(`invalid time span ${JSON.stringify(value)}`);
    total += Number(m[1]) * factor;
  }
  return total;
}

/** Parses a service unit's text; `name` is its file name without `.service`. */
export function parseServiceUnit(name: string, text: string): ServiceUnit {
  const service = unitEntries(text).filter((e) => e.section === "Service");
  const last = (key: string): string | undefined => service.filter((e) => e.key === key).at(-1)?.value;
  const exec = last("ExecStart");
  if (!exec) throw new UnitFileError(`${name}: no ExecStart=`);
  const argv = splitWords(exec.replace(/^[-@+!:]+/, ""));
  const environment: Record<string, string> = {};
  for (const e of service.filter((x) => x.key === "Environment")) {
    for (const assignment of splitWords(e.value)) {
      const eq = assignment.indexOf("=");
      if (eq > 0) environment[assignment.slice(0, eq)] = assignment.slice(eq + 1);
    }
  }
  const restart = (last("Restart") ?? "no") as RestartPolicy;
  if (!RESTART.has(restart)) throw new UnitFileError(`${name}: unknown Restart=${restart}`);
  return {
    name,
    argv,
    environment,
    workingDirectory: last("WorkingDirectory"),
    restart,
    restartSecMs: timeSpanMs(last("RestartSec") ?? "100ms"),
    timeoutStopMs: timeSpanMs(last("TimeoutStopSec") ?? "90s"),
    killMainOnly: last("KillMode") === "process",
  };
}

/** Reads `DIR/NAME.service`. */
export async function readServiceUnit(dir: string, name: string): Promise<ServiceUnit> {
  return parseServiceUnit(name, await readFile(`${dir}/${name}.service`, "utf8"));
}

/** Whether systemd would restart a service that exited with `code` or was killed by `signal` (systemd.service(5), Restart=). */
export function shouldRestart(policy: RestartPolicy, code: number | null, signal: NodeJS.Signals | null): boolean {
  const clean = code === 0 || (signal !== null && ["SIGHUP", "SIGINT", "SIGTERM", "SIGPIPE"].includes(signal));
  switch (policy) {
    case "always":
      return true;
    case "on-success":
      return clean;
    case "on-failure":
      return !clean;
    case "on-abnormal":
    case "on-abort":
      return signal !== null && !clean;
    default:
      return false;
  }
}
