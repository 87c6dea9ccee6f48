// The nginx site model: server blocks, locations and upstreams derived from the routing table, endpoints and certificates.
import { upstreamKey, type Upstream } from "./backend-endpoints.js";
import type { ParsedCertificate } from "./certificate-store.js";
import { pathElements } from "./path-match.js";
import type { BackendRef, Route, RouteGroups } from "./routing-table.js";

/** Labels nginx logs with each request, for `ingress_controller_requests_total`. */
export interface LocationLabels {
  namespace: string;
  ingress: string;
  service: string;
}

/** One nginx `location`: a path match and where it goes (an upstream, or a fixed status). */
export interface SiteLocation {
  /** `exact` renders `location = PATH`, `prefix` renders `location PATH` (nginx's longest-prefix match). */
  match: "exact" | "prefix";
  path: string;
  labels: LocationLabels;
  /** The upstream's name, or undefined when `status` is answered instead. */
  upstream?: string;
  status?: number;
}

/** One nginx `server`: its names (exact, or a one-label wildcard suffix), certificate and locations. */
export interface SiteServer {
  /** An exact host, a wildcard suffix (".example.com"), or "" for the default server. */
  name: string;
  certificate: ParsedCertificate | undefined;
  locations: SiteLocation[];
}

/** One nginx `upstream`: a Service port's ready endpoints. */
export interface SiteUpstream {
  name: string;
  servers: string[];
}

/** Everything nginx serves, in a stable order (the same input renders the same text). */
export interface Site {
  servers: SiteServer[];
  upstreams: SiteUpstream[];
}

/** What the site is built from: the routing table's groups, endpoints and certificates, all from the informer caches. */
export interface SiteInputs {
  routes: RouteGroups;
  endpoints(backend: BackendRef): Upstream[];
  certificateFor(host: string): ParsedCertificate | undefined;
  wildcardCertificateFor(suffix: string): ParsedCertificate | undefined;
  tlsHosts: { exact: string[]; wildcard: string[] };
}

const NO_LABELS: LocationLabels = { namespace: "", ingress: "", service: "" };

/** The upstream name of a backend: `namespace.service.port` (DNS labels hold no dot, so it is unique). */
export function upstreamName(backend: BackendRef): string {
  return `${backend.namespace}.${backend.service}.${backend.port.number || backend.port.name}`;
}

/**
 * The locations of one host group in nginx terms. A Prefix path `/foo` is `location = /foo` plus
 * `location /foo/` (whole elements, as the routing table matches); Exact is `location = PATH`.
 * Routes arrive in match order, so the first to claim a location keeps it (Exact beats Prefix).
 * A `location /` always exists: the default backend, else 404.
 */
function locationsFor(routes: readonly Route[], fallback: Route | undefined, target: (route: Route) => Pick<SiteLocation, "upstream" | "status" | "labels">): SiteLocation[] {
  const out: SiteLocation[] = [];
  const seen = new Set<string>();
  const add = (match: SiteLocation["match"], path: string, route: Route): void => {
    const key = `${match} ${path}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push({ match, path, ...target(route) });
  };
  for (const route of routes) {
    const path = route.path;
    if (!path) continue;
    if (path.kind === "Exact") {
      add("exact", path.value, route);
      continue;
    }
    const elements = pathElements(path.value);
    if (elements.length === 0) {
      add("prefix", "/", route);
      continue;
    }
    add("exact", `/${elements.join("/")}`, route);
    add("prefix", `/${elements.join("/")}/`, route);
  }
  if (!seen.has("prefix /")) out.push(fallback ? { match: "prefix", path: "/", ...target(fallback) } : { match: "prefix", path: "/", labels: NO_LABELS, status: 404 });
  return out;
}

/**
 * Builds the site. Servers: the default one (host-less rules, fallback certificate), one per exact
 * host named by a rule or a TLS entry, one per wildcard suffix named by either; a host's routes are
 * those `RoutingTable.match` would use for it. Backends without a ready endpoint answer 503.
 */
export function buildSite(inputs: SiteInputs): Site {
  const { routes } = inputs;
  const upstreams = new Map<string, SiteUpstream>();
  const target = (route: Route): Pick<SiteLocation, "upstream" | "status" | "labels"> => {
    const labels = { namespace: route.ingress.namespace, ingress: route.ingress.name, service: route.backend.service };
    const name = upstreamName(route.backend);
    if (!upstreams.has(name)) {
      const servers = inputs.endpoints(route.backend).map(upstreamKey);
      if (servers.length === 0) return { labels, status: 503 };
      upstreams.set(name, { name, servers });
    }
    return { labels, upstream: name };
  };
  const routesForHost = (host: string): readonly Route[] => {
    const dot = host.indexOf(".");
    return routes.exact.get(host) ?? (dot > 0 ? routes.wildcard.get(host.slice(dot)) : undefined) ?? routes.anyHost;
  };
  const servers: SiteServer[] = [{ name: "", certificate: undefined, locations: locationsFor(routes.anyHost, routes.fallback, target) }];
  for (const host of [...new Set([...routes.exact.keys(), ...inputs.tlsHosts.exact])].sort()) {
    servers.push({ name: host, certificate: inputs.certificateFor(host), locations: locationsFor(routesForHost(host), routes.fallback, target) });
  }
  for (const suffix of [...new Set([...routes.wildcard.keys(), ...inputs.tlsHosts.wildcard])].sort()) {
    const group = routes.wildcard.get(suffix) ?? routes.anyHost;
    servers.push({ name: suffix, certificate: inputs.wildcardCertificateFor(suffix), locations: locationsFor(group, routes.fallback, target) });
  }
  return { servers, upstreams: [...upstreams.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)) };
}
