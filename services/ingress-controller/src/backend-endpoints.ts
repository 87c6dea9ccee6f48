// Resolves an Ingress backend (Service + port number or name) to the ready endpoints of its EndpointSlices.
import { isIP } from "node:net";
import type { coreV1Service, discoveryV1 } from "@kubeplane/api";
import type { BackendRef } from "./routing-table.js";

/** One address:port a request can be proxied to. */
export interface Upstream {
  readonly ip: string;
  readonly port: number;
}

/** The key of an upstream in maps (agents, round-robin): "10.0.0.1:8080", "[fd00::1]:8080". */
export function upstreamKey(u: Upstream): string {
  return isIP(u.ip) === 6 ? `[${u.ip}]:${u.port}` : `${u.ip}:${u.port}`;
}

/** The Service port the backend names: by number when set, else by name; undefined if it has none such. */
export function servicePortFor(service: coreV1Service.Service, port: BackendRef["port"]): coreV1Service.ServicePort | undefined {
  const ports = service.spec?.ports ?? [];
  return port.number ? ports.find((p) => p.port === port.number) : ports.find((p) => (p.name ?? "") === port.name);
}

/**
 * The ready TCP endpoints of `service`'s port `port` across `slices` (the slices labelled with the
 * Service's name). The endpoint port is the slice port with the Service port's name, which is how
 * the EndpointSlice controller publishes a resolved targetPort. An endpoint whose `ready` is unset
 * counts as ready (EndpointSlice API). Sorted, de-duplicated; empty for a missing Service or port.
 */
export function readyUpstreams(
  service: coreV1Service.Service | undefined,
  slices: readonly discoveryV1.EndpointSlice[],
  port: BackendRef["port"],
): Upstream[] {
  if (!service || service.spec?.type === "ExternalName") return [];
  const servicePort = servicePortFor(service, port);
  if (!servicePort || (servicePort.protocol && servicePort.protocol !== "TCP")) return [];
  const name = servicePort.name ?? "";
  const found = new Map<string, Upstream>();
  for (const slice of slices) {
    if (slice.addressType === "FQDN") continue;
    const slicePort = slice.ports.find((p) => (p.name ?? "") === name && (p.protocol ?? "TCP") === "TCP");
    if (!slicePort?.port) continue;
    for (const ep of slice.endpoints) {
      const ip = ep.addresses[0];
      if (!ip || isIP(ip) === 0 || ep.conditions?.ready === false) continue;
      const upstream = { ip, port: slicePort.port };
      found.set(upstreamKey(upstream), upstream);
    }
  }
  return [...found.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, u]) => u);
}
