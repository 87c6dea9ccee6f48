// Counts nginx's requests into the controller's metrics from its access log, read from a FIFO nginx writes in buffered batches.
import { execFile } from "node:child_process";
import { constants, openSync } from "node:fs";
import { rm } from "node:fs/promises";
import { Socket } from "node:net";
import { promisify } from "node:util";
import { addObservations, bucketIndex, type Logger } from "@kubeplane/service-kit";
import { Counter, type LabelValues, type Registry } from "prom-client";
import { REQUEST_DURATION_BUCKETS, type IngressMetrics, type RequestLabels } from "./metrics.js";
import { ACCESS_LOG_FLUSH_MS } from "./nginx-config.js";

/** One parsed access log line. */
export interface AccessLogEntry {
  namespace: string;
  ingress: string;
  service: string;
  status: string;
  seconds: number;
  /** Endpoints tried that never answered (connection refused or timed out). */
  connectFailures: number;
}

const dash = (v: string | undefined): string => (v === undefined || v === "-" ? "" : v);

/**
 * Parses `NS INGRESS SERVICE STATUS SECONDS CONNECT_TIMES|UPSTREAM_STATUSES` (the `kp_metrics` log
 * format; nginx writes "-" for an empty value). An attempt without a connect time never connected.
 * Undefined for anything else.
 */
export function parseAccessLogLine(line: string): AccessLogEntry | undefined {
  const fields = line.trimEnd().split(" ");
  if (fields.length < 6) return undefined;
  const [namespace, ingress, service, status, seconds] = fields;
  if (status?.length !== 3) return undefined;
  const upstream = fields.length === 6 ? fields[5]! : fields.slice(5).join(" ");
  const connectTimes = upstream.slice(0, upstream.indexOf("|"));
  let connectFailures = 0;
  if (connectTimes === "-") {
    // One attempt that never connected, unless no upstream was tried at all (then the status is "-" too).
    if (!upstream.endsWith("|-")) connectFailures = 1;
  } else if (connectTimes.includes("-")) {
    for (const t of connectTimes.split(/, | : /)) if (t === "-") connectFailures++;
  }
  return { namespace: dash(namespace), ingress: dash(ingress), service: dash(service), status: status ?? "", seconds: Number(seconds) || 0, connectFailures };
}

/** What the access log FIFO holds: 1 MiB, the default /proc/sys/fs/pipe-max-size. */
export const ACCESS_LOG_PIPE_BYTES = 1 << 20;
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

/** Requests of one "NS INGRESS SERVICE STATUS" prefix counted since the last flush. */
interface PendingCounts {
  requestLabels: LabelValues<RequestLabels | "status">;
  durationLabels: LabelValues<RequestLabels>;
  failureLabels: LabelValues<"namespace" | "service">;
  requests: number;
  failures: number;
  /** Durations per bucket of REQUEST_DURATION_BUCKETS (the last: above every bound), and their sum. */
  perBucket: Float64Array;
  seconds: number;
}

/**
 * Makes the FIFO `path` and reads it (opened read-write, so opening never blocks and a restarting
 * nginx is no end of file). Each line is counted per prefix in plain numbers; `flush` moves the
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
  const pipe = new Socket({ fd, readable: true, writable: false });
  pipe.setEncoding("latin1");
  let partial = "";
  // Lines are scanned in place and parsed whole only the first time a prefix is seen or when an
  // endpoint failed; prom-client is called once per prefix and flush, not per line (it hashes and
  // validates the labels on every call, even through a labelled child): the per-request cost the
  // controller adds to nginx's is a few indexOf and a Map lookup.
  const pending = new Map<string, PendingCounts>();
  const countsFor = (entry: AccessLogEntry): PendingCounts => {
    const labels = { ingress: entry.ingress, namespace: entry.namespace, service: entry.service };
    return {
      requestLabels: { ...labels, status: entry.status },
      durationLabels: labels,
      failureLabels: { namespace: entry.namespace, service: entry.service },
      requests: 0,
      failures: 0,
      perBucket: new Float64Array(REQUEST_DURATION_BUCKETS.length + 1),
      seconds: 0,
    };
  };
  const count = (text: string, start: number, end: number): void => {
    let space = start - 1;
    for (let i = 0; i < 4 && space >= -1; i++) space = text.indexOf(" ", space + 1);
    if (space < 0 || space >= end) return;
    const key = text.slice(start, space);
    const secondsEnd = text.indexOf(" ", space + 1);
    if (secondsEnd < 0 || secondsEnd >= end) return;
    let counts = pending.get(key);
    // "-" in the connect times (before "|") means an endpoint never answered: the full parse counts them.
    const bar = text.indexOf("|", secondsEnd);
    const failed = bar > 0 && bar < end && text.lastIndexOf("-", bar) > secondsEnd;
    if (!counts || failed) {
      const entry = parseAccessLogLine(text.slice(start, end));
      if (!entry) return;
      counts ??= countsFor(entry);
      pending.set(key, counts);
      counts.failures += entry.connectFailures;
    }
    const seconds = Number(text.slice(space + 1, secondsEnd)) || 0;
    counts.requests++;
    counts.perBucket[bucketIndex(REQUEST_DURATION_BUCKETS, seconds)]!++;
    counts.seconds += seconds;
  };
  const flush = (): void => {
    for (const counts of pending.values()) {
      if (counts.requests === 0 && counts.failures === 0) continue;
      if (counts.requests > 0) metrics.requests.inc(counts.requestLabels, counts.requests);
      addObservations(metrics.requestDuration, counts.durationLabels, REQUEST_DURATION_BUCKETS, counts.perBucket, counts.seconds, counts.requests);
      if (counts.failures > 0) metrics.connectFailures.inc(counts.failureLabels, counts.failures);
      counts.requests = 0;
      counts.failures = 0;
      counts.perBucket.fill(0);
      counts.seconds = 0;
    }
  };
  const lines = new Counter({ name: "ingress_controller_access_log_lines_total", help: "Access log lines read from nginx (one a request).", registers: [registry] });
  pipe.on("data", (chunk: string) => {
    const text = partial === "" ? chunk : partial + chunk;
    let start = 0;
    let n = 0;
    for (let end = text.indexOf("\n"); end >= 0; end = text.indexOf("\n", start)) {
      count(text, start, end);
      start = end + 1;
      n++;
    }
    partial = text.slice(start);
    lines.inc(n);
  });
  return {
    path,
    flush,
    close: async () => {
      pipe.destroy();
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
