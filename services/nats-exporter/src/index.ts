// The nats-exporter: a Kubeplane service whose /metrics is nats-server's monitoring JSON as Prometheus metrics (nats-server 2.9 has no Prometheus endpoint).
import { Service, type RunContext } from "@kubeplane/service-kit";
import type { NatsExporterConfig } from "./config.js";
import { httpMonitorSource, registerNatsMetrics } from "./nats-collector.js";

export { natsExporterConfig, type NatsExporterConfig } from "./config.js";
export { httpMonitorSource, NatsMonitorError, registerNatsMetrics, type Jsz, type MonitorSource, type Varz } from "./nats-collector.js";

/** Runs the exporter until the signal aborts. Ready while nats-server's monitor answers /healthz. */
export async function run(config: NatsExporterConfig, ctx: RunContext): Promise<void> {
  const service = new Service({ name: "nats-exporter", config, logger: ctx.logger });
  registerNatsMetrics(service.metrics, httpMonitorSource(config.natsMonitorUrl, config.scrapeTimeout));
  const healthz = `${config.natsMonitorUrl.replace(/\/$/, "")}/healthz`;
  service.addReadinessCheck("nats-monitor", async () => (await fetch(healthz, { signal: AbortSignal.timeout(config.scrapeTimeout) })).ok);
  await service.start();
  ctx.logger.info({ natsMonitorUrl: config.natsMonitorUrl }, "exporting NATS monitoring metrics");
  await new Promise<void>((resolve) => {
    if (ctx.signal.aborted) resolve();
    else ctx.signal.addEventListener("abort", () => resolve(), { once: true });
  });
  await service.stop();
}
