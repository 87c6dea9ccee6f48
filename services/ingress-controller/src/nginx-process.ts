// Supervises the nginx master as a child process: start, configuration test, graceful reload, restart on crash, stop.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import type { Logger } from "@kubeplane/service-kit";
import { NginxConfigError, NginxStartError } from "./errors.js";

const run = promisify(execFile);
/** util-linux's setpriv gives nginx a parent-death signal: a controller killed with SIGKILL leaves no nginx behind. */
const SETPRIV = "/usr/bin/setpriv";
const RESTART_BACKOFF_MS = { initial: 500, max: 10_000 };
/** A master that ran this long before it died restarts after the initial back-off again. */
const STABLE_AFTER_MS = 30_000;

/** A worker of the master and whether it is draining (no longer accepting). */
interface Worker {
  pid: number;
  shuttingDown: boolean;
}

/** The master's workers, from /proc (their titles say whether they are shutting down). */
async function workersOf(master: number): Promise<Worker[]> {
  const children = await readFile(`/proc/${master}/task/${master}/children`, "utf8").catch(() => "");
  const out: Worker[] = [];
  for (const pid of children.split(" ").filter((p) => p.trim() !== "").map(Number)) {
    const title = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => undefined);
    if (title?.includes("worker process")) out.push({ pid, shuttingDown: title.includes("shutting down") });
  }
  return out;
}

/** Where nginx is and which files it uses. */
export interface NginxProcessOptions {
  binary: string;
  /** nginx's prefix (`-p`): relative paths in the configuration resolve here. */
  prefix: string;
  /** The configuration file the master reads, at start and on every reload. */
  configFile: string;
  logger: Logger;
}

/**
 * One nginx master and its workers. `start` resolves once the master has bound its listeners
 * (it writes its pid file after that); `reload` asks it to re-read `configFile` (SIGHUP: new
 * workers, old ones finish their requests); an unexpected exit is logged and the master started
 * again with back-off; `stop` shuts it down gracefully (SIGQUIT), then forcefully. Methods are
 * called from one event loop; `reload` and `stop` never throw.
 */
export class NginxProcess {
  private child: ChildProcess | undefined;
  private stopping = false;
  private backoffMs = RESTART_BACKOFF_MS.initial;
  private restartTimer: NodeJS.Timeout | undefined;
  private exited: Promise<void> = Promise.resolve();
  /** Masters started so far (1 + restarts after crashes). */
  starts = 0;

  constructor(private readonly opts: NginxProcessOptions) {}

  private get pidFile(): string {
    return join(this.opts.prefix, "nginx.pid");
  }

  private command(args: string[]): [string, string[]] {
    const nginx = [this.opts.binary, "-p", this.opts.prefix, "-c", this.opts.configFile, ...args];
    return existsSync(SETPRIV) ? [SETPRIV, ["--pdeathsig", "TERM", "--", ...nginx]] : [nginx[0]!, nginx.slice(1)];
  }

  /** Checks `file` with `nginx -t`; throws NginxConfigError with nginx's message when it is refused. */
  async test(file: string): Promise<void> {
    try {
      await run(this.opts.binary, ["-t", "-q", "-p", this.opts.prefix, "-c", file], { timeout: 30_000 });
    } catch (err) {
      const stderr = String((err as { stderr?: unknown }).stderr ?? (err as Error).message).trim();
      throw new NginxConfigError(`nginx refused the configuration: ${stderr}`, { cause: err });
    }
  }

  /** Starts the master; throws NginxStartError when it exits or has not bound its listeners within 10 s. */
  async start(): Promise<void> {
    await rm(this.pidFile, { force: true });
    const [cmd, args] = this.command([]);
    const child = spawn(cmd, args, { stdio: ["ignore", "ignore", "pipe"] });
    this.child = child;
    this.starts++;
    const startedAt = Date.now();
    /** Set once the master bound its listeners: only a master that started is restarted after it dies. */
    let started = false;
    let stderrTail = "";
    child.stderr?.setEncoding("utf8");
    child.stderr?.on("data", (chunk: string) => {
      stderrTail = (stderrTail + chunk).slice(-2000);
      for (const line of chunk.split("\n")) if (line.trim() !== "") this.opts.logger.warn({ nginx: line.trim() }, "nginx");
    });
    this.exited = new Promise<void>((resolve) => {
      child.once("exit", (code, signal) => {
        if (this.child === child) this.child = undefined;
        resolve();
        if (this.stopping || !started) return;
        const ranMs = Date.now() - startedAt;
        if (ranMs > STABLE_AFTER_MS) this.backoffMs = RESTART_BACKOFF_MS.initial;
        this.opts.logger.error({ code, signal, restartInMs: this.backoffMs }, "nginx exited; restarting it");
        this.restartTimer = setTimeout(() => {
          this.restartTimer = undefined;
          this.start().catch((err: unknown) => this.opts.logger.error({ err }, "nginx restart failed"));
        }, this.backoffMs);
        this.backoffMs = Math.min(this.backoffMs * 2, RESTART_BACKOFF_MS.max);
      });
    });
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (!this.child || this.child !== child) throw new NginxStartError(`nginx exited at start: ${stderrTail.trim()}`);
      const pid = await readFile(this.pidFile, "utf8").catch(() => "");
      if (pid.trim() !== "") {
        started = true;
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    child.kill("SIGKILL");
    throw new NginxStartError(`nginx did not write ${this.pidFile} within 10 s: ${stderrTail.trim()}`);
  }

  /** Whether a master is running. */
  get running(): boolean {
    return this.child !== undefined;
  }

  /** The master's pid (for CPU accounting), if running. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /**
   * Asks the master to re-read its configuration: new workers take new connections, old ones
   * drain. Resolves once every old worker stopped accepting: the master lets old and new workers
   * accept side by side for 100 ms or more (until it signals the old ones), and an old worker
   * retitles itself "worker process is shutting down" just before closing its listeners.
   */
  async reload(): Promise<void> {
    const master = this.child?.pid;
    if (master === undefined) return;
    const old = (await workersOf(master)).filter((w) => !w.shuttingDown).map((w) => w.pid);
    this.child?.kill("SIGHUP");
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && !this.stopping) {
      const current = new Map((await workersOf(master)).map((w) => [w.pid, w]));
      if (old.every((pid) => !current.has(pid) || current.get(pid)!.shuttingDown)) return;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  /** Graceful stop (SIGQUIT: in-flight requests finish), SIGKILL after `graceMs`. Never rejects. */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const child = this.child;
    if (!child) return;
    child.kill("SIGQUIT");
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}
