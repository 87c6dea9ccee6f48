// Reads a container's CRI log file as the kubelet serves it: partial lines joined, tail, since, timestamps, limit, follow.
import { dirname } from "node:path";
import { open, stat, type FileHandle } from "node:fs/promises";
import { criTimeMillis, parseCriLogLine, type LogStream } from "./cri-log-line.js";
import { FileChangeWaiter } from "./file-change-waiter.js";
import { tailStartOffset } from "./log-tail.js";

/** What to read of a log (Kubernetes' PodLogOptions, resolved). */
export interface LogReadOptions {
  /** Only the last this many logical lines; undefined: all. */
  tailLines?: number;
  /** Only lines stamped at or after this time (ms since the epoch). */
  sinceMillis?: number;
  /** Prefix each line with its timestamp and a space. */
  timestamps?: boolean;
  /** Stop after this many bytes. */
  limitBytes?: number;
  /**
   * Keep reading as the file grows, across rotation (the path replaced by a new file), until
   * `isRunning` says the container stopped and the file is drained, or `signal` aborts.
   */
  follow?: { isRunning(): Promise<boolean>; pollMs?: number };
}

const READ_SIZE = 64 * 1024;
const NEWLINE = 0x0a;

/** Holds each stream's partial (P) fragments until the full (F) line that ends them. */
class LineAssembler {
  private readonly partial = new Map<LogStream, { time: string; parts: Buffer[] }>();

  constructor(private readonly opts: LogReadOptions) {}

  /** The output bytes for one physical line: a whole logical line, or nothing while it is partial. */
  push(raw: Buffer): Buffer | undefined {
    const line = parseCriLogLine(raw);
    if (!line) return undefined;
    const held = this.partial.get(line.stream);
    if (line.partial) {
      if (held) held.parts.push(line.content);
      else this.partial.set(line.stream, { time: line.time, parts: [line.content] });
      return undefined;
    }
    this.partial.delete(line.stream);
    const time = held?.time ?? line.time;
    const content = held ? Buffer.concat([...held.parts, line.content]) : line.content;
    return this.format(time, content, true);
  }

  /** Fragments still waiting for their end, unterminated (at the end of a log that is not followed). */
  flush(): Buffer[] {
    const out = [...this.partial.values()].flatMap(({ time, parts }) => this.format(time, Buffer.concat(parts), false) ?? []);
    this.partial.clear();
    return out;
  }

  private format(time: string, content: Buffer, newline: boolean): Buffer | undefined {
    if (this.opts.sinceMillis !== undefined && criTimeMillis(time) < this.opts.sinceMillis) return undefined;
    const parts = this.opts.timestamps ? [Buffer.from(`${time} `), content] : [content];
    if (newline) parts.push(Buffer.from("\n"));
    return Buffer.concat(parts);
  }
}

async function openIfExists(path: string): Promise<FileHandle | undefined> {
  try {
    return await open(path, "r");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

/** True when `path` now names another file than `file` (rotated), or nothing. */
async function replaced(path: string, file: FileHandle): Promise<boolean> {
  const [current, opened] = await Promise.all([stat(path).catch(() => undefined), file.stat()]);
  return !current || current.ino !== opened.ino || current.dev !== opened.dev;
}

/**
 * Streams the log at `path` as chunks of whole lines (each chunk at most about 64 KiB, one per
 * read of the file). A missing file reads as empty (followed: until it appears). Ends early when
 * `signal` aborts; throws only on I/O errors other than a missing file.
 */
export async function* readContainerLog(path: string, opts: LogReadOptions, signal: AbortSignal): AsyncGenerator<Buffer> {
  const assembler = new LineAssembler(opts);
  let budget = opts.limitBytes ?? Infinity;
  let file = await openIfExists(path);
  const waiter = opts.follow ? new FileChangeWaiter(dirname(path), opts.follow.pollMs ?? 1000) : undefined;
  try {
    let position = file && opts.tailLines !== undefined ? await tailStartOffset(file, (await file.stat()).size, opts.tailLines) : 0;
    let pending = Buffer.alloc(0);
    const buf = Buffer.alloc(READ_SIZE);
    let finalDrain = false;
    while (!signal.aborted && budget > 0) {
      const n = file ? (await file.read(buf, 0, READ_SIZE, position)).bytesRead : 0;
      if (n > 0) {
        position += n;
        pending = Buffer.concat([pending, buf.subarray(0, n)]);
        const end = pending.lastIndexOf(NEWLINE);
        if (end < 0) continue;
        const out: Buffer[] = [];
        for (let start = 0; start <= end; ) {
          const nl = pending.indexOf(NEWLINE, start);
          const line = assembler.push(pending.subarray(start, nl));
          if (line) out.push(line);
          start = nl + 1;
        }
        pending = pending.subarray(end + 1);
        let chunk = Buffer.concat(out);
        if (chunk.length > budget) chunk = chunk.subarray(0, budget);
        budget -= chunk.length;
        if (chunk.length) yield chunk;
        continue;
      }
      // At the end of the file.
      if (!waiter || finalDrain) break;
      if (file && (await replaced(path, file))) {
        // Rotated: the old file is drained, so go on from the start of the new one.
        await file.close();
        file = await openIfExists(path);
        position = 0;
        pending = Buffer.alloc(0);
        continue;
      }
      if (!file) file = await openIfExists(path);
      if (!(await opts.follow!.isRunning())) {
        finalDrain = true; // one more read: lines written just before the container stopped
        continue;
      }
      await waiter.wait(signal);
    }
    if (!signal.aborted && budget > 0) {
      const rest = Buffer.concat(assembler.flush());
      if (rest.length) yield rest.subarray(0, budget);
    }
  } finally {
    waiter?.close();
    await file?.close();
  }
}
