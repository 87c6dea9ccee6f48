// Writes the authorization file by rename and tells nats-server to reload it (SIGHUP to the pid in its pid file), confirming through its monitor.
import { readFile, rename, writeFile } from "node:fs/promises";

/** Thrown when nats-server could not be told to reload, or did not confirm it in time. */
export class NatsReloadError extends Error {
  override readonly name = "NatsReloadError";
  readonly code = "NATS_RELOAD";
}

export interface NatsReloaderOptions {
  /** The file nats.conf includes. */
  file: string;
  /** nats-server's pid file (its `pid_file`, or any file whose first word is its pid). */
  pidFile: string;
  /** nats-server's HTTP monitor; empty: a sent signal counts as a reload. */
  monitorUrl: string;
  /** How long to wait for `/varz` to show a new config_load_time. */
  timeoutMs: number;
}

/** The file's current text, or undefined when it does not exist. */
export async function readCurrent(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

/**
 * Replaces the file atomically (a temp file beside it, 0600, renamed over it: nats-server never
 * reads half a file) and reloads nats-server. Throws NatsReloadError when the pid file is missing or
 * stale, or the monitor does not show the reload within the timeout (nats-server keeps its previous
 * configuration when it cannot parse the new one, and says why in its log).
 */
export async function writeAndReload(text: string, o: NatsReloaderOptions): Promise<void> {
  const temp = `${o.file}.${process.pid}.tmp`;
  await writeFile(temp, text, { mode: 0o600 });
  await rename(temp, o.file);
  const before = o.monitorUrl ? await configLoadTime(o.monitorUrl) : undefined;
  const pidText = await readCurrent(o.pidFile);
  // The first word: nats-server's own pid file holds the pid alone, make up's supervisor writes "PID STARTTIME".
  const pid = Number(pidText?.trim().split(/\s+/)[0]);
  if (!Number.isInteger(pid) || pid <= 0) throw new NatsReloadError(`${o.pidFile}: no nats-server pid (${pidText === undefined ? "missing" : JSON.stringify(pidText.trim())})`);
  try {
    process.kill(pid, "SIGHUP");
  } catch (err) {
    throw new NatsReloadError(`SIGHUP to nats-server (pid ${pid} from ${o.pidFile}): ${(err as Error).message}`, { cause: err });
  }
  if (!o.monitorUrl) return;
  const deadline = Date.now() + o.timeoutMs;
  for (;;) {
    const now = await configLoadTime(o.monitorUrl).catch(() => before);
    if (now !== before) return;
    if (Date.now() >= deadline) throw new NatsReloadError(`nats-server (pid ${pid}) did not reload within ${o.timeoutMs} ms: see its log for the configuration error`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** `/varz`'s config_load_time: changes on every successful (re)load. */
async function configLoadTime(monitorUrl: string): Promise<string> {
  const res = await fetch(`${monitorUrl.replace(/\/$/, "")}/varz`, { signal: AbortSignal.timeout(2_000) });
  if (!res.ok) throw new NatsReloadError(`GET ${monitorUrl}/varz: HTTP ${res.status}`);
  return String(((await res.json()) as { config_load_time?: string }).config_load_time ?? "");
}
