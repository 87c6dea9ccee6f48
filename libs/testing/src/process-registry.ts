// Remembers the server processes and temp dirs the harness created and cleans them up when the test process ends.
import type { ChildProcess } from "node:child_process";
import { rmSync } from "node:fs";

const liveProcesses = new Set<ChildProcess>();
const liveDirs = new Set<string>();
const terminationSignals = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
let installed = false;

/**
 * Tracks `child` until it exits. If the test process exits first (a crashed or cancelled test,
 * or SIGINT/SIGTERM/SIGHUP), the child is sent SIGKILL synchronously, so no etcd or nats-server
 * outlives the run. Only a SIGKILL of the test process itself can still orphan a child.
 */
export function trackProcess(child: ChildProcess): void {
  install();
  liveProcesses.add(child);
  child.once("exit", () => liveProcesses.delete(child));
}

/** Tracks a temp dir until `untrackDir`; one still tracked when the test process exits is removed (best effort). */
export function trackDir(dir: string): void {
  install();
  liveDirs.add(dir);
}

/** Stops tracking a dir its owner has removed. */
export function untrackDir(dir: string): void {
  liveDirs.delete(dir);
}

function cleanUp(): void {
  for (const child of liveProcesses) {
    try {
      child.kill("SIGKILL");
    } catch {
      // Already gone: nothing to clean up.
    }
  }
  liveProcesses.clear();
  for (const dir of liveDirs) {
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    } catch {
      // A process killed a moment ago may still be closing files; leaving a temp dir is harmless.
    }
  }
  liveDirs.clear();
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on("exit", cleanUp);
  for (const signal of terminationSignals) {
    const onSignal = (): void => {
      cleanUp();
      process.removeListener(signal, onSignal);
      // Listening for a signal disables Node's default of dying from it; when nobody else handles
      // it, restore that default by raising the signal again.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}
