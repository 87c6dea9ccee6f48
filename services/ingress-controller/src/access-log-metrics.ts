// Counts nginx's requests into the controller's metrics from its access log, one syslog datagram a request.
import { createSocket, type Socket } from "node:dgram";
import { once } from "node:events";
import { ACCESS_LOG_TAG } from "./nginx-config.js";
import type { IngressMetrics } from "./metrics.js";

const MARKER = ` ${ACCESS_LOG_TAG}: `;

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
 * Parses `<pri>TIMESTAMP kpingress: NS INGRESS SERVICE STATUS SECONDS CONNECT_TIMES|UPSTREAM_STATUSES`
 * (the `kp_metrics` log format). An attempt without a connect time never connected. Undefined for
 * anything else.
 */
export function parseAccessLogLine(line: string): AccessLogEntry | undefined {
  const at = line.indexOf(MARKER);
  if (at < 0) return undefined;
  const fields = line.slice(at + MARKER.length).trimEnd().split(" ");
  if (fields.length < 6) return undefined;
  const [namespace, ingress, service, status, seconds] = fields;
  const connectTimes = fields.slice(5).join(" ").split("|")[0] ?? "";
  let connectFailures = 0;
  if (connectTimes !== "-" && connectTimes !== "") {
    for (const t of connectTimes.split(/, | : /)) if (t === "-") connectFailures++;
  }
  return { namespace: dash(namespace), ingress: dash(ingress), service: dash(service), status: status ?? "", seconds: Number(seconds) || 0, connectFailures };
}

/** A UDP syslog sink on 127.0.0.1 turning nginx's access log into `ingress_controller_requests_total` and friends. */
export interface AccessLogMetrics {
  readonly port: number;
  close(): Promise<void>;
}

/** Binds the sink on a free loopback port; every datagram is one request (nginx sends one per line). */
export async function startAccessLogMetrics(metrics: IngressMetrics): Promise<AccessLogMetrics> {
  const socket: Socket = createSocket({ type: "udp4", recvBufferSize: 4 * 1024 * 1024 });
  socket.on("message", (msg) => {
    const entry = parseAccessLogLine(msg.toString("latin1"));
    if (!entry) return;
    const labels = { ingress: entry.ingress, namespace: entry.namespace, service: entry.service };
    metrics.requests.inc({ ...labels, status: entry.status });
    metrics.requestDuration.observe(labels, entry.seconds);
    if (entry.connectFailures > 0) metrics.connectFailures.inc({ namespace: entry.namespace, service: entry.service }, entry.connectFailures);
  });
  socket.bind(0, "127.0.0.1");
  await once(socket, "listening");
  return {
    port: socket.address().port,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
