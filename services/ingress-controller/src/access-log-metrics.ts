// Counts nginx's requests into the controller's metrics from its access log, read from a FIFO nginx writes in buffered batches.
import { execFile } from "node:child_process";
import { constants, openSync } from "node:fs";
import { rm } from "node:fs/promises";
import { Socket } from "node:net";
import { promisify } from "node:util";
import { Counter, type Registry } from "prom-client";
import type { IngressMetrics } from "./metrics.js";
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

/** The access log sink: a FIFO nginx writes its `kp_metrics` lines to. */
export interface AccessLogMetrics {
  /** The FIFO's path, for the `access_log` directive. */
  readonly path: string;
  close(): Promise<void>;
}

/**
 * Makes the FIFO `path` and reads it (opened read-write, so opening never blocks and a restarting
 * nginx is no end of file). Each line becomes `ingress_controller_requests_total` and friends
 * (whose scrape waits `accessLogFlushWait` first). Call once per registry.
 */
export async function startAccessLogMetrics(path: string, metrics: IngressMetrics, registry: Registry): Promise<AccessLogMetrics> {
  await rm(path, { force: true });
  await promisify(execFile)("mkfifo", ["-m", "0600", path]);
  const fd = openSync(path, constants.O_RDWR | constants.O_NONBLOCK);
  const pipe = new Socket({ fd, readable: true, writable: false });
  pipe.setEncoding("latin1");
  let partial = "";
  // Labelled children per "NS INGRESS SERVICE STATUS" prefix: prom-client hashes labels on every
  // labelled call, a child skips that. Lines are scanned in place, and parsed whole only the first
  // time a prefix is seen or when an endpoint failed: this is the per-request cost the controller
  // adds to nginx's.
  const children = new Map<string, { requests: { inc(): void }; duration: { observe(v: number): void }; failures: { inc(n: number): void } }>();
  const childFor = (entry: AccessLogEntry): NonNullable<ReturnType<typeof children.get>> => {
    const labels = { ingress: entry.ingress, namespace: entry.namespace, service: entry.service };
    return {
      requests: metrics.requests.labels({ ...labels, status: entry.status }),
      duration: metrics.requestDuration.labels(labels),
      failures: metrics.connectFailures.labels({ namespace: entry.namespace, service: entry.service }),
    };
  };
  const count = (text: string, start: number, end: number): void => {
    let space = start - 1;
    for (let i = 0; i < 4 && space >= -1; i++) space = text.indexOf(" ", space + 1);
    if (space < 0 || space >= end) return;
    const key = text.slice(start, space);
    const secondsEnd = text.indexOf(" ", space + 1);
    if (secondsEnd < 0 || secondsEnd >= end) return;
    let child = children.get(key);
    // "-" in the connect times (before "|") means an endpoint never answered: the full parse counts them.
    const bar = text.indexOf("|", secondsEnd);
    const failed = bar > 0 && bar < end && text.lastIndexOf("-", bar) > secondsEnd;
    if (!child || failed) {
      const entry = parseAccessLogLine(text.slice(start, end));
      if (!entry) return;
      child ??= childFor(entry);
      children.set(key, child);
      if (entry.connectFailures > 0) child.failures.inc(entry.connectFailures);
    }
    child.requests.inc();
    child.duration.observe(Number(text.slice(space + 1, secondsEnd)) || 0);
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
