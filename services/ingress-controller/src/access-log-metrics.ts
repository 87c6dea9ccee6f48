// Counts nginx's requests into the controller's metrics from its access log, read from a FIFO nginx writes in buffered batches.
import { execFile } from "node:child_process";
import { closeSync, constants, openSync, readSync } from "node:fs";
import { rm } from "node:fs/promises";
import { promisify } from "node:util";
import { bucketIndex, type Logger } from "@kubeplane/service-kit";
import { Counter, type Registry } from "prom-client";
import { REQUEST_DURATION_BUCKETS, type IngressMetrics } from "./metrics.js";
import { ACCESS_LOG_FLUSH_MS } from "./nginx-config.js";
import { RequestCounts, type PendingCounts } from "./request-counts.js";

/** One parsed access log line: a request (`requests` 1), or the failed endpoints of one (`requests` 0). */
export interface AccessLogEntry {
  namespace: string;
  ingress: string;
  service: string;
  /** The HTTP status of a request line; "" for a failures line. */
  status: string;
  seconds: number;
  requests: number;
  /** Endpoints tried that never answered (connection refused or timed out). */
  connectFailures: number;
}

const dash = (v: string | undefined): string => (v === undefined || v === "-" ? "" : v);

/**
 * Parses the two line formats nginx writes into the FIFO ("-" is nginx's empty value):
 * `NS INGRESS SERVICE STATUS SECONDS` (`kp_metrics`, one a request) and
 * `NS INGRESS SERVICE F CONNECT_TIMES` (`kp_failures`, only for a request one of whose attempts
 * answered 502 or 504: the times of its attempts, "-" for each that never connected, so a
 * backend's own 502 counts nothing). Undefined for anything else.
 */
export function parseAccessLogLine(line: string): AccessLogEntry | undefined {
  const fields = line.trimEnd().split(" ");
  if (fields.length < 5) return undefined;
  const [namespace, ingress, service, status, seconds] = fields;
  const labels = { namespace: dash(namespace), ingress: dash(ingress), service: dash(service) };
  if (status === "F") {
    let connectFailures = 0;
    for (const t of fields.slice(4).join(" ").split(/, | : /)) if (t === "-") connectFailures++;
    return { ...labels, status: "", seconds: 0, requests: 0, connectFailures };
  }
  if (status?.length !== 3 || fields.length !== 5) return undefined;
  return { ...labels, status, seconds: Number(seconds) || 0, requests: 1, connectFailures: 0 };
}

/** What the access log FIFO holds: 1 MiB, the default /proc/sys/fs/pipe-max-size. */
export const ACCESS_LOG_PIPE_BYTES = 1 << 20;
/** One read of the FIFO takes at most this much (a quarter of what the pipe holds). */
const ACCESS_LOG_READ_BYTES = 256 * 1024;
/** fcntl's F_SETPIPE_SZ (Linux). */
const F_SETPIPE_SZ = 1031;

/**
 * Grows the FIFO at `path` to ACCESS_LOG_PIPE_BYTES. nginx writes its access log with blocking
 * writes: when the pipe is full, its worker stops serving until the controller reads. The
 * kernel's 64 KiB is ~50 ms of lines at 25,000 requests/s, less than a busy controller's pause;
 * 1 MiB is ~0.8 s. Node has no fcntl, so perl (Debian's perl-base is Essential) makes the call
 * on a descriptor of its own; the size belongs to the pipe, which the caller keeps open.
 */
async function growPipe(path: string): Promise<void> {
  const script = `open(my $f, "+<", $ARGV[0]) or die "open: $!"; fcntl($f, ${F_SETPIPE_SZ}, ${ACCESS_LOG_PIPE_BYTES}) or die "fcntl F_SETPIPE_SZ: $!";`;
  await promisify(execFile)("perl", ["-e", script, path], { timeout: 10_000 });
}

/** The access log sink: a FIFO nginx writes its `kp_metrics` lines to. */
export interface AccessLogMetrics {
  /** The FIFO's path, for the `access_log` directive. */
  readonly path: string;
  /** Moves the requests counted so far into the metrics (a scrape calls it after `accessLogFlushWait`). */
  flush(): void;
  close(): Promise<void>;
}

/** What one distinct access log line counts for: its prefix's counts, its duration's bucket, its failed endpoints. */
interface LineEffect {
  counts: PendingCounts;
  /** 1 for a request line, 0 for a failures line. */
  requests: number;
  bucket: number;
  seconds: number;
  failures: number;
}

/** Distinct lines remembered; past it the memory starts over (durations vary little at ms resolution). */
const LINE_CACHE_MAX = 4096;

/**
 * Counts `kp_metrics` access log lines in plain numbers per "NS INGRESS SERVICE STATUS" prefix.
 * A line's whole text decides what it counts for, and at nginx's millisecond resolution few lines
 * differ: each distinct line is parsed once and remembered, so a line costs a Map lookup
 * (≈ 0.1 µs; scanning its fields each time, and a `lastIndexOf` that ran back over the whole
 * chunk when a line held no "-", cost ≈ 3.5 µs). prom-client is called once per prefix and
 * flush, not per line (it hashes and validates the labels on every call).
 */
export class AccessLogCounter {
  private readonly counts = new RequestCounts();
  private readonly lines = new Map<string, LineEffect>();
  private partial = "";

  /** Counts the complete lines of `chunk` (a line split across chunks is kept for the next); returns how many. */
  add(chunk: string): number {
    const text = this.partial === "" ? chunk : this.partial + chunk;
    let start = 0;
    let n = 0;
    for (let end = text.indexOf("\n", start); end >= 0; end = text.indexOf("\n", start)) {
      const effect = this.lines.get(text.slice(start, end)) ?? this.learn(text.slice(start, end));
      if (effect) {
        const counts = effect.counts;
        counts.requests += effect.requests;
        counts.perBucket[effect.bucket]! += effect.requests;
        counts.seconds += effect.seconds;
        counts.failures += effect.failures;
      }
      start = end + 1;
      n++;
    }
    this.partial = start === text.length ? "" : flat(text.slice(start));
    return n;
  }

  /** Moves the counts so far into the request metrics. */
  flushInto(metrics: IngressMetrics): void {
    this.counts.flushInto(metrics);
  }

  private learn(line: string): LineEffect | undefined {
    const entry = parseAccessLogLine(line);
    if (!entry) return undefined;
    const counts = this.counts.countsFor(entry.namespace, entry.ingress, entry.service, entry.status);
    const effect = { counts, requests: entry.requests, bucket: bucketIndex(REQUEST_DURATION_BUCKETS, entry.seconds), seconds: entry.seconds, failures: entry.connectFailures };
    if (this.lines.size >= LINE_CACHE_MAX) this.lines.clear();
    // The key is copied: a slice would keep the whole chunk it came from alive.
    this.lines.set(flat(line), effect);
    return effect;
  }
}

/** A copy of `s` that shares no memory with the string it was sliced from. */
function flat(s: string): string {
  return Buffer.from(s, "latin1").toString("latin1");
}

/**
 * Makes the FIFO `path` and reads it every ACCESS_LOG_FLUSH_MS until it is empty (opened
 * read-write and non-blocking, so opening never blocks and a restarting nginx is no end of file),
 * and once more before each flush. Each line is counted per prefix in plain numbers; `flush` moves the
 * counts into `ingress_controller_requests_total` and friends (whose scrape waits
 * `accessLogFlushWait` and flushes first). Call once per registry.
 */
export async function startAccessLogMetrics(path: string, metrics: IngressMetrics, registry: Registry, logger: Logger): Promise<AccessLogMetrics> {
  await rm(path, { force: true });
  await promisify(execFile)("mkfifo", ["-m", "0600", path]);
  const fd = openSync(path, constants.O_RDWR | constants.O_NONBLOCK);
  // The pipe lives as long as this descriptor: grow it now, it keeps its size.
  await growPipe(path).catch((err: unknown) =>
    logger.warn({ err, path }, "the access log FIFO keeps the kernel's 64 KiB: nginx's workers wait whenever the controller falls ~50 ms behind at 25,000 requests/s"),
  );
  const counter = new AccessLogCounter();
  const lines = new Counter({ name: "ingress_controller_access_log_lines_total", help: "Access log lines read from nginx: one a request, and one more for a request whose attempts met a 502 or 504.", registers: [registry] });
  const buffer = Buffer.allocUnsafe(ACCESS_LOG_READ_BYTES);
  let closed = false;
  /** Reads what the FIFO holds and counts it; returns when it is empty (or after 4 MiB, so a writer cannot keep it here). */
  const drain = (): void => {
    for (let reads = 0; reads < 16; reads++) {
      let n: number;
      try {
        n = readSync(fd, buffer, 0, buffer.length, null);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "EAGAIN") return;
        logger.error({ err, path }, "reading the access log FIFO failed");
        return;
      }
      if (n <= 0) return;
      lines.inc(counter.add(buffer.toString("latin1", 0, n)));
    }
  };
  // Polled, not event-driven: nginx writes a buffer every flush interval (or when full), and one
  // wake-up per interval costs far less than a stream's callback per write on the data CPU.
  const timer = setInterval(drain, ACCESS_LOG_FLUSH_MS);
  timer.unref();
  return {
    path,
    flush: () => {
      if (!closed) drain();
      counter.flushInto(metrics);
    },
    close: async () => {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      closeSync(fd);
      await rm(path, { force: true });
    },
  };
}

/**
 * What a scrape of the request metrics waits for with the nginx data plane: nginx holds access log
 * lines up to one flush interval, so after this a scrape includes every request answered before it.
 */
export function accessLogFlushWait(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ACCESS_LOG_FLUSH_MS + 20));
}
