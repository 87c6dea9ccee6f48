// The nats-exporter's configuration: its own listeners and the NATS monitoring endpoint it reads.
import { defineConfig, serviceConfig, type ConfigOf } from "@kubeplane/service-kit";

const httpUrl = (value: string): string | undefined =>
  /^https?:\/\/[^/]+\/?$/.test(value) ? undefined : 'must be http(s)://HOST:PORT, such as "http://127.0.0.1:8222"';

export const natsExporterConfig = defineConfig({
  // 7777 is prometheus-nats-exporter's port.
  ...serviceConfig({ grpc: "127.0.0.1:7778", http: "127.0.0.1:7777" }),
  natsMonitorUrl: { type: "string", default: "http://127.0.0.1:8222", validate: httpUrl, description: "nats-server's HTTP monitoring endpoint (its -m port)" },
  scrapeTimeout: { type: "duration", default: "5s", description: "How long one read of /varz and /jsz may take before the scrape fails" },
});

/** The nats-exporter's validated configuration. */
export type NatsExporterConfig = ConfigOf<typeof natsExporterConfig>;
