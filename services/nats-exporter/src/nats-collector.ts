// Turns nats-server's /varz and /jsz JSON into Prometheus metrics at scrape time (prometheus-nats-exporter's gnatsd_ names).
import { Counter, Gauge, type Registry } from "prom-client";

/** The /varz fields read (nats-server 2.9). */
export interface Varz {
  connections: number;
  total_connections: number;
  subscriptions: number;
  slow_consumers: number;
  in_msgs: number;
  out_msgs: number;
  in_bytes: number;
  out_bytes: number;
  mem: number;
  cpu: number;
  routes: number;
}

/** The /jsz?accounts=true&streams=true&consumers=true fields read. */
export interface Jsz {
  streams: number;
  consumers: number;
  messages: number;
  bytes: number;
  api?: { total: number; errors: number };
  account_details?: Array<{
    stream_detail?: Array<{
      name: string;
      state: { messages: number; bytes: number; consumer_count: number };
      consumer_detail?: Array<{ name: string; num_pending: number; num_ack_pending: number; num_redelivered: number }>;
    }>;
  }>;
}

/** Where the monitoring JSON comes from: one read per scrape. Throws when NATS does not answer. */
export type MonitorSource = () => Promise<{ varz: Varz; jsz: Jsz }>;

/** Thrown by the HTTP source when nats-server's monitor cannot be read; the scrape then fails (up = 0). */
export class NatsMonitorError extends Error {
  override readonly name = "NatsMonitorError";
  readonly code = "NATS_MONITOR";
}

/** A MonitorSource reading nats-server's HTTP monitoring endpoint. */
export function httpMonitorSource(baseUrl: string, timeoutMs: number): MonitorSource {
  const base = baseUrl.replace(/\/$/, "");
  const get = async <T>(path: string): Promise<T> => {
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(timeoutMs) });
    } catch (err) {
      throw new NatsMonitorError(`GET ${base}${path}: ${(err as Error).message}`, { cause: err });
    }
    if (!res.ok) throw new NatsMonitorError(`GET ${base}${path}: HTTP ${res.status}`);
    return (await res.json()) as T;
  };
  return async () => {
    const [varz, jsz] = await Promise.all([get<Varz>("/varz"), get<Jsz>("/jsz?accounts=true&streams=true&consumers=true")]);
    return { varz, jsz };
  };
}

/**
 * Registers the metrics on `registry`; each scrape reads the source once (concurrent collects of
 * one scrape share the read) and a failed read fails the scrape, so Prometheus' `up` for this job
 * is 0 while NATS' monitor does not answer. Consumers are summed per stream: informers use
 * ephemeral ordered consumers whose names would churn series.
 */
export function registerNatsMetrics(registry: Registry, source: MonitorSource): void {
  let current: Promise<{ varz: Varz; jsz: Jsz }> | undefined;
  const read = (): Promise<{ varz: Varz; jsz: Jsz }> => {
    if (!current) {
      current = source();
      // prom-client starts every metric's collect in one synchronous loop, so all of this scrape's
      // collects hold this promise before it settles; the next scrape reads afresh.
      const clear = (): void => {
        current = undefined;
      };
      current.then(clear, clear);
    }
    return current;
  };
  const registers = [registry];
  const varzGauge = (field: keyof Varz, help: string): void => {
    new Gauge({
      name: `gnatsd_varz_${field}`,
      help,
      registers,
      async collect() {
        this.set((await read()).varz[field]);
      },
    });
  };
  const varzCounter = (field: keyof Varz, help: string): void => {
    new Counter({
      name: `gnatsd_varz_${field}`,
      help,
      registers,
      async collect() {
        const value = (await read()).varz[field];
        this.reset();
        this.inc(value);
      },
    });
  };
  varzGauge("connections", "Current client connections");
  varzCounter("total_connections", "Client connections since the server started");
  varzGauge("subscriptions", "Current subscriptions");
  varzGauge("slow_consumers", "Clients the server disconnected or dropped messages for because they read too slowly (since start)");
  varzCounter("in_msgs", "Messages received from clients");
  varzCounter("out_msgs", "Messages sent to clients");
  varzCounter("in_bytes", "Bytes received from clients");
  varzCounter("out_bytes", "Bytes sent to clients");
  varzGauge("mem", "Resident memory of nats-server in bytes");
  varzGauge("cpu", "CPU use of nats-server in percent");
  varzGauge("routes", "Routes to other cluster members");

  const jszGauge = (field: "streams" | "consumers" | "messages" | "bytes", help: string): void => {
    new Gauge({
      name: `gnatsd_jetstream_${field}`,
      help,
      registers,
      async collect() {
        this.set((await read()).jsz[field]);
      },
    });
  };
  jszGauge("streams", "JetStream streams");
  jszGauge("consumers", "JetStream consumers");
  jszGauge("messages", "Messages stored in JetStream");
  jszGauge("bytes", "Bytes stored in JetStream");

  type StreamField = "messages" | "bytes" | "consumers" | "consumer_pending_messages" | "consumer_max_pending_messages" | "consumer_ack_pending_messages";
  const streamHelp: Record<StreamField, string> = {
    messages: "Messages in the stream",
    bytes: "Bytes in the stream",
    consumers: "Consumers of the stream",
    consumer_pending_messages: "Messages not yet delivered, summed over the stream's consumers",
    consumer_max_pending_messages: "Messages not yet delivered to the stream's furthest-behind consumer (watcher lag)",
    consumer_ack_pending_messages: "Messages delivered but not acknowledged, summed over the stream's consumers",
  };
  for (const field of Object.keys(streamHelp) as StreamField[]) {
    new Gauge({
      name: `gnatsd_jetstream_stream_${field}`,
      help: streamHelp[field],
      labelNames: ["stream"],
      registers,
      async collect() {
        const { jsz } = await read();
        this.reset();
        for (const account of jsz.account_details ?? []) {
          for (const stream of account.stream_detail ?? []) {
            const consumers = stream.consumer_detail ?? [];
            const values: Record<StreamField, number> = {
              messages: stream.state.messages,
              bytes: stream.state.bytes,
              consumers: stream.state.consumer_count,
              consumer_pending_messages: consumers.reduce((n, c) => n + c.num_pending, 0),
              consumer_max_pending_messages: consumers.reduce((n, c) => Math.max(n, c.num_pending), 0),
              consumer_ack_pending_messages: consumers.reduce((n, c) => n + c.num_ack_pending, 0),
            };
            this.set({ stream: stream.name }, values[field]);
          }
        }
      },
    });
  }
}
