// The machine inventory, re-read when its file changes (fs.watch on the directory plus a periodic stat, debounced).
import { watch, type FSWatcher } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { basename, dirname } from "node:path";
import type { Logger } from "@kubeplane/service-kit";
import { parseInventory, type Machine } from "./config.js";

/** How long a burst of file events is allowed to settle before the file is read. */
const DEBOUNCE_MS = 100;

/**
 * The inventory's current machines by name. The file is read once by `load` (an invalid file is
 * an error then); afterwards every change is re-read, and an invalid or unreadable file is logged
 * and ignored, keeping the last good inventory, so a half-written edit never deletes Nodes.
 * Listeners run after a change that altered the machines.
 */
export class Inventory {
  private machines = new Map<string, Machine>();
  private text = "";
  private fingerprint = "";
  private readonly listeners: (() => void)[] = [];
  /** Why the last reload was refused (undefined once a reload succeeds): for logs and tests. */
  lastError: Error | undefined;
  private reloading = Promise.resolve();

  constructor(
    readonly file: string,
    private readonly logger: Logger,
    private readonly pollMs = 2000,
  ) {}

  /** Reads the file; throws ProviderConfigError (with field paths) when it does not validate. */
  async load(): Promise<void> {
    const [text, fp] = await Promise.all([readFile(this.file, "utf8"), this.stat()]);
    this.apply(text);
    this.fingerprint = fp;
  }

  get(name: string): Machine | undefined {
    return this.machines.get(name);
  }

  list(): Machine[] {
    return [...this.machines.values()];
  }

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** Watches the file until the signal aborts. */
  async run(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    let timer: NodeJS.Timeout | undefined;
    // One read DEBOUNCE_MS after the first event of a burst covers every event until it starts;
    // a later event schedules another. (Re-arming on each event could starve under steady polling.)
    const schedule = (): void => {
      timer ??= setTimeout(() => {
        timer = undefined;
        // Serialised, so an older read never lands after a newer one.
        this.reloading = this.reloading.then(() => this.reload());
      }, DEBOUNCE_MS);
    };
    let watcher: FSWatcher | undefined;
    try {
      // The directory, not the file: editors and config management replace files by rename.
      watcher = watch(dirname(this.file), (_event, name) => {
        if (!name || name === basename(this.file)) schedule();
      });
      watcher.on("error", (err) => this.logger.warn({ err, file: this.file }, "inventory watch failed; relying on polling"));
    } catch (err) {
      this.logger.warn({ err, file: this.file }, "cannot watch the inventory's directory; relying on polling");
    }
    // fs.watch misses changes on some filesystems (NFS, bind mounts): a cheap stat catches those.
    const poll = setInterval(() => {
      this.stat().then((fp) => {
        if (fp !== this.fingerprint) schedule();
      }, () => undefined);
    }, this.pollMs);
    await new Promise<void>((done) => signal.addEventListener("abort", () => done(), { once: true }));
    clearInterval(poll);
    clearTimeout(timer);
    watcher?.close();
    await this.reloading;
  }

  private async stat(): Promise<string> {
    const s = await stat(this.file);
    return `${s.ino}:${s.size}:${s.mtimeMs}`;
  }

  private async reload(): Promise<void> {
    try {
      const [text, fp] = await Promise.all([readFile(this.file, "utf8"), this.stat()]);
      this.fingerprint = fp;
      if (text === this.text) return;
      this.apply(text);
      this.lastError = undefined;
      this.logger.info({ file: this.file, machines: this.machines.size }, "inventory reloaded");
      for (const l of this.listeners) l();
    } catch (err) {
      this.lastError = err as Error;
      this.logger.error({ err, file: this.file }, "inventory not reloaded; keeping the last good one");
    }
  }

  private apply(text: string): void {
    const machines = parseInventory(text, this.file);
    this.machines = new Map(machines.map((m) => [m.name, m]));
    this.text = text;
  }
}
