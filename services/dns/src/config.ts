// The dns service's configuration: where it listens, the zone it serves, TTLs and upstreams.
import { isIP } from "node:net";
import { clusterClientConfig, defineConfig, serviceConfig, type ConfigOf } from "@kubeplane/service-kit";

/** Why `value` is not IP:PORT (IPv6 in brackets), or undefined when it is. */
export function ipPortProblem(value: string): string | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([0-9.]+)):(\d{1,5})$/.exec(value);
  const host = m?.[1] ?? m?.[2];
  if (!m || !host || isIP(host) === 0 || Number(m[3]) > 65535) return 'must be IP:PORT, such as "10.0.0.2:53" or "[fd00::2]:53"';
  return undefined;
}

/** Why `zone` is not a DNS name the server can be authoritative for, or undefined. */
export function zoneProblem(zone: string): string | undefined {
  const name = zone.replace(/\.$/, "");
  if (name.length === 0 || name.length > 253) return "must be a DNS name of 1 to 253 characters, such as \"cluster.local\"";
  for (const label of name.split(".")) {
    if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i.test(label)) return `label ${JSON.stringify(label)} is not a DNS-1123 label`;
  }
  return undefined;
}

/** The upstream list a comma-separated `upstreams` value names (empty entries dropped). */
export function parseUpstreams(value: string): string[] {
  return value.split(",").map((s) => s.trim()).filter((s) => s !== "");
}

function upstreamsProblem(value: string): string | undefined {
  const list = parseUpstreams(value);
  for (const [i, entry] of list.entries()) {
    const problem = ipPortProblem(entry);
    if (problem) return `upstreams[${i}] ${JSON.stringify(entry)} ${problem}`;
  }
  return undefined;
}

export const dnsConfig = defineConfig({
  ...serviceConfig({ grpc: "127.0.0.1:10053", http: "127.0.0.1:10054" }),
  ...clusterClientConfig(),
  dnsListen: { type: "string", default: "0.0.0.0:53", validate: ipPortProblem, description: "IP:PORT the DNS server answers on, over UDP and TCP" },
  zone: { type: "string", default: "cluster.local", validate: zoneProblem, description: "The cluster domain served from Services and EndpointSlices" },
  ttl: { type: "int", default: 30, min: 0, max: 3600, description: "TTL in seconds of positive answers (CoreDNS kubernetes plugin: 30)" },
  negativeTtl: { type: "int", default: 5, min: 0, max: 3600, description: "TTL in seconds of NXDOMAIN/NODATA answers: the SOA's TTL and minimum" },
  upstreams: {
    type: "string",
    default: "",
    validate: upstreamsProblem,
    description: "Comma-separated IP:PORT of resolvers for names outside the zone, tried in order (empty: SERVFAIL)",
  },
  upstreamTimeout: { type: "duration", default: "2s", description: "How long to wait for one upstream before trying the next" },
  tcpIdleTimeout: { type: "duration", default: "10s", description: "A DNS-over-TCP connection with no query for this long is closed" },
});

export type DnsConfig = ConfigOf<typeof dnsConfig>;
