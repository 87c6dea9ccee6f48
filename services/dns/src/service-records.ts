// The DNS records one Service and its EndpointSlices publish, after the Kubernetes DNS spec.
import { isIP } from "node:net";
import type { coreV1Service, discoveryV1 } from "@kubeplane/api";
import { dashedIp, reverseName } from "./names.js";

type Service = coreV1Service.Service;
type EndpointSlice = discoveryV1.EndpointSlice;

/** One SRV record's data. */
export interface SrvRecord {
  priority: number;
  weight: number;
  port: number;
  /** Canonical target name. */
  target: string;
}

/** The records of one name. Shared with readers: never mutated after it is built. */
export interface NameRecords {
  a: string[];
  aaaa: string[];
  srv: SrvRecord[];
  /** Canonical target names. */
  ptr: string[];
  /** Canonical target of an ExternalName Service's CNAME. */
  cname: string | undefined;
}

export const emptyRecords = (): NameRecords => ({ a: [], aaaa: [], srv: [], ptr: [], cname: undefined });

/** How many resource records `r` holds. */
export const recordCount = (r: NameRecords): number => r.a.length + r.aaaa.length + r.srv.length + r.ptr.length + (r.cname ? 1 : 0);

/** Builds a name → records map, de-duplicating addresses and targets. */
class RecordsBuilder {
  readonly names = new Map<string, NameRecords>();
  private readonly seen = new Set<string>();

  private entry(name: string): NameRecords {
    let r = this.names.get(name);
    if (!r) this.names.set(name, (r = emptyRecords()));
    return r;
  }

  private once(key: string): boolean {
    if (this.seen.has(key)) return false;
    this.seen.add(key);
    return true;
  }

  /** Makes `name` exist even with no records (a known name answers NODATA, not NXDOMAIN). */
  touch(name: string): void {
    this.entry(name);
  }

  address(name: string, ip: string): void {
    const family = isIP(ip);
    if (family === 0 || !this.once(`${name}\0${ip}`)) return;
    (family === 4 ? this.entry(name).a : this.entry(name).aaaa).push(ip);
  }

  ptr(ip: string, target: string): void {
    const name = reverseName(ip);
    if (name && this.once(`${name}\0ptr\0${target}`)) this.entry(name).ptr.push(target);
  }

  srv(name: string, port: number, target: string): void {
    if (this.once(`${name}\0srv\0${port}\0${target}`)) this.entry(name).srv.push({ priority: 0, weight: 0, port, target });
  }

  cname(name: string, target: string): void {
    this.entry(name).cname = target;
  }

  /** Spreads weight 100 over each name's SRV records (CoreDNS does the same). */
  finish(): Map<string, NameRecords> {
    for (const r of this.names.values()) {
      const weight = Math.max(1, Math.floor(100 / Math.max(1, r.srv.length)));
      for (const s of r.srv) s.weight = weight;
    }
    return this.names;
  }
}

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;

/** The label of a port name or protocol in an SRV name: "_http", "_tcp". */
const srvLabel = (s: string): string => `_${s.toLowerCase()}`;

/** An endpoint counts when ready (unset means ready) or when the Service publishes not-ready addresses. */
function published(ep: discoveryV1.Endpoint, svc: Service): boolean {
  return ep.conditions?.ready !== false || svc.spec?.publishNotReadyAddresses === true;
}

/**
 * The records `svc` publishes in `zone` (canonical), given its EndpointSlices:
 * - `<svc>.<ns>.svc.<zone>`: A/AAAA of the ClusterIPs; for a headless Service (clusterIP None) one
 *   per published endpoint address; a CNAME for an ExternalName Service; SRV for every port.
 * - `_<port>._<proto>.<svc>.<ns>.svc.<zone>`: SRV for each named port, to the Service name or, when
 *   headless, to each endpoint's name with the endpoint's port.
 * - `<hostname>.<svc>.<ns>.svc.<zone>` (headless): each endpoint's addresses; the label is the
 *   endpoint's hostname, or its address with dashes when it has none.
 * - PTR names of the ClusterIPs and of the published endpoint addresses.
 */
export function serviceRecords(svc: Service, slices: Iterable<EndpointSlice>, zone: string): Map<string, NameRecords> {
  const b = new RecordsBuilder();
  const spec = svc.spec;
  const name = svc.metadata?.name?.toLowerCase();
  const namespace = svc.metadata?.namespace?.toLowerCase();
  if (!spec || !name || !namespace) return b.finish();
  const base = `${name}.${namespace}.svc.${zone}`;
  b.touch(base);
  if (spec.type === "ExternalName") {
    if (spec.externalName) b.cname(base, spec.externalName.replace(/\.$/, "").toLowerCase());
    return b.finish();
  }
  const headless = spec.clusterIp === "None";
  if (!headless) {
    const ips = spec.clusterIps.length > 0 ? spec.clusterIps : spec.clusterIp ? [spec.clusterIp] : [];
    for (const ip of ips) {
      b.address(base, ip);
      b.ptr(ip, base);
    }
    for (const port of spec.ports) {
      if (port.name) b.srv(`${srvLabel(port.name)}.${srvLabel(port.protocol || "TCP")}.${base}`, port.port, base);
      b.srv(base, port.port, base);
    }
  }
  for (const slice of slices) {
    if (slice.addressType !== "IPv4" && slice.addressType !== "IPv6") continue;
    for (const ep of slice.endpoints) {
      const first = ep.addresses[0];
      if (!first || !published(ep, svc)) continue;
      // A hostname that is not a DNS label (the apiserver should refuse it) must not add names elsewhere.
      const label = ep.hostname && DNS_LABEL.test(ep.hostname) ? ep.hostname.toLowerCase() : dashedIp(first);
      const host = `${label}.${base}`;
      for (const ip of ep.addresses) {
        b.ptr(ip, host);
        if (!headless) continue;
        b.address(base, ip);
        b.address(host, ip);
      }
      if (!headless) continue;
      for (const port of slice.ports) {
        if (port.port === undefined) continue;
        if (port.name) b.srv(`${srvLabel(port.name)}.${srvLabel(port.protocol || "TCP")}.${base}`, port.port, host);
        b.srv(base, port.port, host);
      }
    }
  }
  return b.finish();
}
