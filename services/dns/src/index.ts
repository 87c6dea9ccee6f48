// @kubeplane/dns: the cluster DNS server, answering the zone from Services and EndpointSlices (issue 5).
import { setMaxListeners } from "node:events";
import { kindFor, type coreV1Service, type discoveryV1, type KindInfo } from "@kubeplane/api";
import { SharedInformerFactory, connectCluster } from "@kubeplane/client";
import { Service, type Logger, type RunContext } from "@kubeplane/service-kit";
import { parseUpstreams, type DnsConfig } from "./config.js";
import { Forwarder } from "./forwarder.js";
import { wireIndex } from "./informer-wiring.js";
import { dnsMetrics } from "./metrics.js";
import { canonicalName } from "./names.js";
import { QueryHandler } from "./query-handler.js";
import { RecordIndex } from "./record-index.js";
import { listenTcp } from "./tcp-listener.js";
import { listenUdp, type DnsListener } from "./udp-listener.js";

export { dnsConfig, ipPortProblem, parseUpstreams, zoneProblem, type DnsConfig } from "./config.js";
export { answerQuestion, type AnswerSettings } from "./answer.js";
export { Forwarder } from "./forwarder.js";
export { dnsMetrics, type DnsMetrics } from "./metrics.js";
export { canonicalName, dashedIp, reverseName } from "./names.js";
export { QueryHandler, type QueryHandlerOptions, type Transport } from "./query-handler.js";
export { RecordIndex, SERVICE_NAME_LABEL } from "./record-index.js";
export { Rcode, RRType, type Reply, type ResourceRecord } from "./resource-record.js";
export { serviceRecords, type NameRecords, type SrvRecord } from "./service-records.js";
export { MalformedQueryError, parseQuery, type DnsQuery, type Edns } from "./wire-query.js";
export { MessageWriter } from "./wire-writer.js";

const services = kindFor("v1", "Service") as KindInfo<coreV1Service.Service>;
const endpointSlices = kindFor("discovery.k8s.io/v1", "EndpointSlice") as KindInfo<discoveryV1.EndpointSlice>;

/** A started dns service. */
export interface RunningDns {
  service: Service;
  index: RecordIndex;
  /** The DNS port (UDP and TCP), useful when the configuration asked for port 0. */
  dnsPort: number;
  /** Whether both informers have listed. */
  isSynced(): boolean;
  /** Stops answering, then stops the informers and closes the connections. Never rejects. */
  stop(): Promise<void>;
}

function splitIpPort(address: string): { host: string; port: number } {
  const i = address.lastIndexOf(":");
  return { host: address.slice(0, i).replace(/^\[|\]$/g, ""), port: Number(address.slice(i + 1)) };
}

/**
 * Starts the dns service: informers on Services and EndpointSlices feed the record index, and
 * the DNS server answers on `dnsListen` over UDP and TCP. Ready (/readyz) once both informers
 * have listed; until then in-zone queries get SERVFAIL. Throws ServiceStartError when a listener
 * cannot be bound.
 */
export async function startDns(config: DnsConfig, opts: { logger?: Logger } = {}): Promise<RunningDns> {
  const service = new Service({ name: "dns", config, ...(opts.logger ? { logger: opts.logger } : {}) });
  const logger = service.logger;
  const metrics = dnsMetrics(service.metrics);
  const index = new RecordIndex(canonicalName(config.zone));
  const { client, nc } = await connectCluster(config, { name: "dns", hooks: service });
  const informers = new SharedInformerFactory(client, { js: nc.jetstream(), jsm: await nc.jetstreamManager() }, { logger });
  const serviceInformer = informers.informerFor(services);
  const sliceInformer = informers.informerFor(endpointSlices);
  wireIndex(index, serviceInformer, sliceInformer, metrics);
  const isSynced = (): boolean => serviceInformer.hasSynced && sliceInformer.hasSynced;

  const upstreams = parseUpstreams(config.upstreams);
  const forwarder = new Forwarder(upstreams, config.upstreamTimeout, metrics, logger);
  const handler = new QueryHandler({ index, settings: { ttl: config.ttl, negativeTtl: config.negativeTtl }, forwarder, metrics, isSynced });
  const { host, port } = splitIpPort(config.dnsListen);
  const listeners: DnsListener[] = [];
  const stopping = new AbortController();
  setMaxListeners(0, stopping.signal);
  // onStop hooks run in reverse: listeners close first, then informers, NATS and the client.
  service.onStop(async () => {
    stopping.abort();
    await informers.stopped();
  });
  service.onStop(() => forwarder.close());
  service.onStop(async () => {
    await Promise.all(listeners.map((l) => l.close()));
  });
  try {
    const udp = await listenUdp(host, port, handler, logger);
    listeners.push(udp);
    listeners.push(await listenTcp(host, udp.port, handler, config.tcpIdleTimeout, logger));
    informers.start(stopping.signal);
    service.addReadinessCheck("informers-synced", () => Promise.resolve(isSynced()));
    await service.start();
  } catch (err) {
    await service.stop();
    throw err;
  }
  const dnsPort = listeners[0]!.port;
  logger.info({ dns: `${host}:${dnsPort}`, zone: index.zone, upstreams }, "dns serving over udp and tcp");
  void informers.waitForCacheSync(stopping.signal).then(
    () => logger.info({ services: index.serviceCount, records: index.records }, "caches synced: answering the zone"),
    () => undefined,
  );
  return { service, index, dnsPort, isSynced, stop: () => service.stop() };
}

/** The service's `run`: serves DNS until SIGTERM. */
export async function run(config: DnsConfig, ctx: RunContext): Promise<void> {
  const dns = await startDns(config, { logger: ctx.logger });
  if (!ctx.signal.aborted) await new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve(), { once: true }));
  await dns.stop();
}
