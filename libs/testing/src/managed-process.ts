// Spawns a server binary with its output in a file, tracks it, and stops it with a deadline.
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { trackProcess } from "./process-registry.js";

/** How a managed process ended: an exit code, a signal, or a spawn error (e.g. binary not found). */
export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: Error;
}

/** Grace period between SIGTERM and SIGKILL when stopping a process. */
export const STOP_GRACE_MS = 3_000;

/**
 * One spawned server process. Its stdout and stderr are appended to `outputFile`, never to the
 * test's output. `exited` resolves (never rejects) once the process is gone.
 */
export class ManagedProcess {
  readonly command: string;
  readonly exited: Promise<ProcessExit>;
  #child: ChildProcess;
  #exit: ProcessExit | undefined;

  constructor(command: string, args: readonly string[], outputFile: string) {
    this.command = command;
    const fd = openSync(outputFile, "a");
    try {
      this.#child = spawn(command, args, { stdio: ["ignore", fd, fd] });
    } finally {
      closeSync(fd); // the child holds its own copy
    }
    const child = this.#child;
    trackProcess(child);
    this.exited = new Promise((resolve) => {
      const settle = (exit: ProcessExit): void => {
        this.#exit ??= exit;
        resolve(this.#exit);
      };
      child.once("exit", (code, signal) => settle({ code, signal }));
      child.once("error", (error) => settle({ code: null, signal: null, error }));
    });
  }

  get running(): boolean {
    return this.#exit === undefined;
  }

  /** Sends `signal` (e.g. SIGHUP to reload a configuration) without waiting for anything; a no-op after exit. */
  signal(signal: NodeJS.Signals): void {
    if (!this.#exit) this.#child.kill(signal);
  }

  /**
   * Sends `signal` and resolves once the process has exited. Unless the signal is SIGKILL, a process
   * still alive after `graceMs` gets SIGKILL.
   */
  async kill(signal: NodeJS.Signals = "SIGTERM", graceMs = STOP_GRACE_MS): Promise<ProcessExit> {
    if (this.#exit) return this.#exit;
    this.#child.kill(signal);
    if (signal === "SIGKILL") return this.exited;
    const escalate = setTimeout(() => this.#child.kill("SIGKILL"), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(escalate);
    }
  }
}

/** Describes an exit for error messages: "exited with code 1", "was killed by SIGKILL". */
export function describeExit(exit: ProcessExit): string {
  if (exit.error) return `could not be spawned: ${exit.error.message}`;
  if (exit.signal) return `was killed by ${exit.signal}`;
  return `exited with code ${String(exit.code)}`;
}

/** The last `maxChars` characters of the given files together, each under a header; missing files are skipped. */
export function tailFiles(files: readonly string[], maxChars = 4_000): string {
  return concatFiles(files).slice(-maxChars);
}

/** The given files' contents, each under a `==> path <==` header; missing files are skipped. */
export function concatFiles(files: readonly string[]): string {
  const parts: string[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    if (text.length > 0) parts.push(`==> ${file} <==\n${text}`);
  }
  return parts.join("\n");
}
