// The audit log backend: events as JSON lines, buffered in memory and written by one background writer.
import { writeSync } from "node:fs";
import type { Logger } from "@kubeplane/service-kit";
import type { AuditEvent } from "./event.js";
import type { AuditMetrics } from "./metrics.js";
import { RotatingFile, type RotationOptions } from "./rotating-file.js";

/**
 * Where events go (kube-apiserver's audit.Backend). `processEvents` is called on the request path:
 * it never blocks and never throws; a lost event is counted in apiserver_audit_error_total and
 * logged. `shutdown` writes everything accepted so far, then releases its resources.
 */
export interface AuditBackend {
  processEvents(events: readonly AuditEvent[]): void;
  shutdown(): Promise<void>;
}

export interface LogBackendOptions extends Omit<RotationOptions, "path"> {
  /** The file, or "-" for standard output. */
  path: string;
  /** Events held in memory while the writer is behind; more are dropped (and counted). Default 10,000, as kube's batch buffer. */
  bufferSize?: number;
  /** Bytes held in memory while the writer is behind (RequestResponse events can be large); default 64 MiB. */
  bufferBytes?: number;
  metrics: AuditMetrics;
  logger: Logger;
}

/** Most bytes handed to one write: a backlog is written in slices so rotation stays close to the size limit. */
const SLICE_BYTES = 1 << 20;

/**
 * The log file backend: a request only appends its serialised line to a queue; a single writer
 * drains the queue in batches (one writev each), so a slow disk delays the log, not the request.
 * When the queue holds `bufferSize` events or `bufferBytes` bytes, new ones are dropped rather than
 * let memory grow or the request wait. Lines are whole (one event each) and in the order they were processed.
 */
export class LogBackend implements AuditBackend {
  private queue: Buffer[] = [];
  private queuedBytes = 0;
  private writing: Promise<void> | undefined;
  private closed = false;
  private droppedSinceWarn = 0;
  private readonly file: RotatingFile | undefined;
  private readonly bufferSize: number;
  private readonly bufferBytes: number;

  constructor(private readonly options: LogBackendOptions) {
    this.bufferSize = options.bufferSize ?? 10_000;
    this.bufferBytes = options.bufferBytes ?? 64 * 1024 * 1024;
    this.file = options.path === "-" ? undefined : new RotatingFile(options);
  }

  processEvents(events: readonly AuditEvent[]): void {
    for (const event of events) {
      if (this.closed || this.queue.length >= this.bufferSize) {
        this.drop(1, this.closed ? "the backend is shut down" : "the buffer is full");
        continue;
      }
      const line = Buffer.from(`${JSON.stringify(event)}\n`);
      if (this.queuedBytes + line.length > this.bufferBytes && this.queue.length > 0) {
        this.drop(1, "the buffer is full");
        continue;
      }
      this.queue.push(line);
      this.queuedBytes += line.length;
      this.options.metrics.events.inc();
    }
    if (!this.writing && this.queue.length > 0) this.writing = this.drain();
  }

  async shutdown(): Promise<void> {
    this.closed = true;
    while (this.writing) await this.writing;
    await this.file?.close();
  }

  private drop(count: number, why: string, err?: unknown): void {
    this.options.metrics.errors.inc({ plugin: "log" }, count);
    // One warning per burst of drops, not one per event.
    if (this.droppedSinceWarn === 0) this.options.logger.warn({ err, path: this.options.path, why }, "audit events lost");
    this.droppedSinceWarn += count;
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        let bytes = 0;
        let n = 0;
        while (n < this.queue.length && (n === 0 || bytes + this.queue[n]!.length <= SLICE_BYTES)) bytes += this.queue[n++]!.length;
        const batch = this.queue.splice(0, n);
        this.queuedBytes -= bytes;
        try {
          await (this.file ? this.file.write(batch) : writeStdout(batch));
          this.droppedSinceWarn = 0;
        } catch (err) {
          this.drop(batch.length, "the write failed", err);
          await this.file?.close().catch(() => undefined); // reopened (and re-created if removed) by the next write
        }
      }
    } finally {
      this.writing = undefined;
    }
  }
}

const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Standard output is shared with the apiserver's own log, which pino writes synchronously: the
 * batch is written synchronously too (whole, retrying a full pipe), so the two never interleave
 * within a line.
 */
function writeStdout(batch: Buffer[]): Promise<void> {
  const data = Buffer.concat(batch);
  for (let offset = 0; offset < data.length; ) {
    try {
      offset += writeSync(1, data, offset);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EAGAIN") return Promise.reject(err as Error);
      Atomics.wait(pause, 0, 0, 1); // the reader is behind: wait a millisecond
    }
  }
  return Promise.resolve();
}
