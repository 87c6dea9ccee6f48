// Which endpoints of a Service's EndpointSlices receive traffic for one of its ports.
import { isIPv4, isIPv6 } from "node:net";
import type { discoveryV1 } from "@kubeplane/api";

/** One backend address:port traffic is DNAT-ed to. */
export interface ProxyEndpoint {
  readonly ip: string;
  readonly port: number;
}

/**
 * The endpoints for the Service port named `portName` with `protocol`, from all its slices:
 * the ready ones; when none is ready, the serving-and-terminating ones (so connections drain to
 * pods still able to answer, as kube-proxy does). Conditions left unset count as ready/serving,
 * per the EndpointSlice API. Only slices of `addressType` are used (IPv4 unless told). Sorted and de-duplicated. With `onNode`,
 * only endpoints whose `nodeName` is that node count (the fallback to terminating ones is then
 * decided among those alone, as upstream decides it separately for local endpoints).
 */
export function servingEndpoints(slices: readonly discoveryV1.EndpointSlice[], portName: string, protocol: string, onNode?: string, addressType: "IPv4" | "IPv6" = "IPv4"): ProxyEndpoint[] {
  const ofFamily = addressType === "IPv4" ? isIPv4 : isIPv6;
  const ready = new Map<string, ProxyEndpoint>();
  const terminating = new Map<string, ProxyEndpoint>();
  for (const slice of slices) {
    if ((slice.addressType || "IPv4") !== addressType) continue;
    const port = slice.ports.find((p) => (p.name ?? "") === portName && (p.protocol || "TCP").toLowerCase() === protocol);
    if (!port?.port) continue;
    for (const ep of slice.endpoints) {
      const ip = ep.addresses[0];
      if (!ip || !ofFamily(ip)) continue;
      if (onNode !== undefined && ep.nodeName !== onNode) continue;
      const isReady = ep.conditions?.ready ?? true;
      const serving = ep.conditions?.serving ?? isReady;
      const isTerminating = ep.conditions?.terminating ?? false;
      const endpoint = { ip, port: port.port };
      const key = `${ip}:${port.port}`;
      if (isReady) ready.set(key, endpoint);
      else if (serving && isTerminating) terminating.set(key, endpoint);
    }
  }
  const chosen = ready.size ? ready : terminating;
  return [...chosen.values()].sort(compareEndpoints);
}

function ipNumber(ip: string): number {
  return ip.split(".").reduce((n, octet) => n * 256 + Number(octet), 0);
}

/** IPv4 by value; IPv6 by text (a total order is all the rules need to be deterministic). */
function compareEndpoints(a: ProxyEndpoint, b: ProxyEndpoint): number {
  const byIp = a.ip.includes(":") || b.ip.includes(":") ? (a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : 0) : ipNumber(a.ip) - ipNumber(b.ip);
  return byIp || a.port - b.port;
}
