// Runs a machine's service units without systemd as PID 1: each ExecStart with its Environment, restarted as Restart= says.
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createWriteStream, type WriteStream } from "node:fs";
import { mkdir, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { shouldRestart, type ServiceUnit } from "./unit-file.js";

/** What the runner reports of one unit (also written to the status file). */
export interface UnitStatus {
  name: string;
  state: "starting" | "running" | "restarting" | "failed" | "stopped";
  pid: number | undefined;
  restarts: number;
  lastExit?: { code: number | null; signal: string | null; at: string };
}

/** Where the runner writes: one log per unit, one JSON status file. */
export interface UnitRunnerOptions {
  logDir: string;
  statusFile: string;
  /** Environment every unit starts from (systemd gives services a clean one; PATH is kept so units find their tools). */
  baseEnvironment?: Record<string, string>;
  /** Structured runner events (one JSON object a line). */
  log?: (event: Record<string, unknown>) => void;
}

/**
 * Runs units in the given order (stops them in reverse), as systemd would with Type=exec: a unit
 * counts as started once its process is spawned. A unit whose process ends is restarted after its
 * RestartSec= when its Restart= policy says so, else left stopped. `stop()` sends SIGTERM, waits
 * TimeoutStopSec= and then SIGKILLs (the process group, unless KillMode=process). Not a sandbox:
 * hardening directives are systemd's and are not applied here. One instance per machine.
 */
export class UnitRunner {
  private readonly units = new Map<string, { unit: ServiceUnit; status: UnitStatus; child?: ChildProcess; log: WriteStream; stopping: boolean }>();
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly opts: UnitRunnerOptions) {}

  /** Starts every unit in order; resolves once all are spawned. */
  async start(units: readonly ServiceUnit[]): Promise<void> {
    await mkdir(this.opts.logDir, { recursive: true });
    for (const unit of units) {
      const log = createWriteStream(join(this.opts.logDir, `${unit.name}.log`), { flags: "a" });
      this.units.set(unit.name, { unit, status: { name: unit.name, state: "starting", pid: undefined, restarts: 0 }, log, stopping: false });
      this.spawnUnit(unit.name);
    }
    await this.writeStatus();
  }

  /** Statuses in start order. */
  statuses(): UnitStatus[] {
    return [...this.units.values()].map((u) => ({ ...u.status }));
  }

  /** Stops every unit, in reverse start order; resolves when all have exited. */
  async stop(): Promise<void> {
    for (const name of [...this.units.keys()].reverse()) await this.stopUnit(name);
    await this.writeStatus();
    await this.writing;
  }

  private spawnUnit(name: string): void {
    const u = this.units.get(name);
    if (!u || u.stopping) return;
    const [file, ...args] = u.unit.argv;
    u.log.write(`[unit-runner] ${new Date().toISOString()} starting ${u.unit.argv.join(" ")}\n`);
    const child = spawn(file as string, args, {
      cwd: u.unit.workingDirectory,
      env: { ...(this.opts.baseEnvironment ?? { PATH: process.env["PATH"] ?? "/usr/sbin:/usr/bin:/sbin:/bin" }), ...u.unit.environment },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true, // its own process group, so a stop reaches its children too
    });
    u.child = child;
    child.stdout.pipe(u.log, { end: false });
    child.stderr.pipe(u.log, { end: false });
    child.once("spawn", () => {
      u.status = { ...u.status, state: "running", pid: child.pid };
      this.opts.log?.({ msg: "unit started", unit: name, pid: child.pid });
      void this.writeStatus();
    });
    child.once("error", (err) => u.log.write(`[unit-runner] ${name}: ${err.message}\n`));
    child.once("close", (code, signal) => {
      u.child = undefined;
      const lastExit = { code, signal, at: new Date().toISOString() };
      u.log.write(`[unit-runner] ${lastExit.at} exited code=${code} signal=${signal}\n`);
      if (u.stopping) {
        u.status = { ...u.status, state: "stopped", pid: undefined, lastExit };
      } else if (shouldRestart(u.unit.restart, code, signal)) {
        u.status = { ...u.status, state: "restarting", pid: undefined, lastExit, restarts: u.status.restarts + 1 };
        this.opts.log?.({ msg: "unit exited, restarting", unit: name, code, signal, afterMs: u.unit.restartSecMs });
        setTimeout(() => this.spawnUnit(name), u.unit.restartSecMs).unref();
      } else {
        u.status = { ...u.status, state: code === 0 ? "stopped" : "failed", pid: undefined, lastExit };
        this.opts.log?.({ msg: "unit exited", unit: name, code, signal });
      }
      void this.writeStatus();
    });
  }

  private async stopUnit(name: string): Promise<void> {
    const u = this.units.get(name);
    if (!u) return;
    u.stopping = true;
    const child = u.child;
    if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      const closed = once(child, "close");
      const signal = (sig: NodeJS.Signals): void => {
        try {
          process.kill(u.unit.killMainOnly ? child.pid as number : -(child.pid as number), sig);
        } catch {
          // already gone
        }
      };
      signal("SIGTERM");
      const timer = sleep(u.unit.timeoutStopMs, "timeout" as const);
      if ((await Promise.race([closed.then(() => "closed" as const), timer])) === "timeout") {
        signal("SIGKILL");
        await closed;
      }
    } else if (!u.unit.killMainOnly && child?.pid !== undefined) {
      try {
        process.kill(-child.pid, "SIGKILL"); // leftovers of a group whose leader is gone
      } catch {
        // none
      }
    }
    if (u.status.state === "restarting" || u.status.state === "starting") u.status = { ...u.status, state: "stopped", pid: undefined };
    u.log.end();
  }

  /** Serialised, atomic (write + rename) so a reader never sees half a file. */
  private writeStatus(): Promise<void> {
    this.writing = this.writing.then(async () => {
      const tmp = `${this.opts.statusFile}.tmp`;
      await writeFile(tmp, `${JSON.stringify({ pid: process.pid, units: this.statuses() }, null, 2)}\n`);
      await rename(tmp, this.opts.statusFile);
    }).catch((err: unknown) => this.opts.log?.({ msg: "status file not written", error: (err as Error).message }));
    return this.writing;
  }
}
