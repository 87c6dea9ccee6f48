// The routing table: Ingress hosts (exact, then `*.` wildcard, then any host) and paths to Service backends.
import type { networkingV1 } from "@kubeplane/api";
import { elementsHavePrefix, pathElements, pathKind, type PathKind } from "./path-match.js";

/** A Service port an Ingress routes to: `port.number` when set (non-zero), else `port.name`. */
export interface BackendRef {
  namespace: string;
  service: string;
  port: { number: number; name: string };
}

/** What a request matched: the backend and the Ingress (and rule path) that asked for it. */
export interface Route {
  ingress: { namespace: string; name: string };
  backend: BackendRef;
  /** The rule's path and kind; undefined for a default backend. */
  path?: { kind: PathKind; value: string };
}

interface PathRule {
  kind: PathKind;
  value: string;
  elements: string[];
  route: Route;
}

/** The table's rules by host group, each in match order, for a renderer of another data plane (nginx). */
export interface RouteGroups {
  /** Exact host → its routes, longest path first (Exact before Prefix on equal length). */
  exact: ReadonlyMap<string, readonly Route[]>;
  /** Wildcard suffix (".example.com" for "*.example.com") → its routes, in match order. */
  wildcard: ReadonlyMap<string, readonly Route[]>;
  /** The host-less rules, in match order. */
  anyHost: readonly Route[];
  /** The cluster-wide default backend, if any Ingress names one. */
  fallback: Route | undefined;
}

/** The Ingresses' order of precedence on conflicts: oldest first (as ingress-nginx), then by key. */
function byAge(a: networkingV1.Ingress, b: networkingV1.Ingress): number {
  const ta = a.metadata?.creationTimestamp ?? "";
  const tb = b.metadata?.creationTimestamp ?? "";
  if (ta !== tb) return ta < tb ? -1 : 1;
  const ka = `${a.metadata?.namespace}/${a.metadata?.name}`;
  const kb = `${b.metadata?.namespace}/${b.metadata?.name}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

function backendRef(namespace: string, backend: networkingV1.IngressBackend | undefined): BackendRef | undefined {
  const svc = backend?.service;
  if (!svc?.name) return undefined;
  return { namespace, service: svc.name, port: { number: svc.port?.number ?? 0, name: svc.port?.name ?? "" } };
}

/** Longest path first; on equal length Exact before Prefix (the Ingress API's precedence). */
function byPrecedence(a: PathRule, b: PathRule): number {
  const la = a.kind === "Exact" ? a.value.length : a.elements.join("/").length;
  const lb = b.kind === "Exact" ? b.value.length : b.elements.join("/").length;
  if (la !== lb) return lb - la;
  return a.kind === b.kind ? 0 : a.kind === "Exact" ? -1 : 1;
}

/** The request's host as routed: the Host header without port or trailing dot, lower-cased. */
export function routingHost(hostHeader: string | undefined): string {
  let host = (hostHeader ?? "").trim().toLowerCase();
  if (host.startsWith("[")) host = host.slice(0, host.indexOf("]") + 1);
  else if (host.includes(":")) host = host.slice(0, host.lastIndexOf(":"));
  return host.replace(/\.$/, "");
}

/**
 * An immutable snapshot of the served Ingresses' rules. Build a new one on every change and swap
 * it in; `match` is then safe to call from any request without locking.
 */
export class RoutingTable {
  private readonly exact = new Map<string, PathRule[]>();
  private readonly wildcard = new Map<string, PathRule[]>();
  private readonly anyHost: PathRule[] = [];
  private readonly fallback: Route | undefined;
  /** How many host/path rules the table holds (the same host and path from two Ingresses counts once). */
  readonly ruleCount: number;

  /** Builds the table from the Ingresses this controller serves (already filtered by class). */
  constructor(ingresses: readonly networkingV1.Ingress[]) {
    const sorted = [...ingresses].sort(byAge);
    let fallback: Route | undefined;
    let count = 0;
    for (const ing of sorted) {
      const namespace = ing.metadata?.namespace ?? "";
      const ingress = { namespace, name: ing.metadata?.name ?? "" };
      const def = backendRef(namespace, ing.spec?.defaultBackend);
      if (!fallback && def) fallback = { ingress, backend: def };
      for (const rule of ing.spec?.rules ?? []) {
        const rules = this.rulesFor(rule.host.toLowerCase());
        for (const p of rule.http?.paths ?? []) {
          const backend = backendRef(namespace, p.backend);
          if (!backend) continue;
          const kind = pathKind(p.pathType);
          const value = p.path || "/";
          // An older Ingress keeps a host+path both claim.
          if (rules.some((r) => r.kind === kind && r.value === value)) continue;
          rules.push({ kind, value, elements: pathElements(value), route: { ingress, backend, path: { kind, value } } });
          count++;
        }
      }
    }
    for (const rules of [...this.exact.values(), ...this.wildcard.values(), this.anyHost]) rules.sort(byPrecedence);
    this.fallback = fallback;
    this.ruleCount = count;
  }

  /** The rules by host group, in the order `match` tries them. */
  groups(): RouteGroups {
    const routes = (rules: readonly PathRule[]): Route[] => rules.map((r) => r.route);
    return {
      exact: new Map([...this.exact].map(([host, rules]) => [host, routes(rules)])),
      wildcard: new Map([...this.wildcard].map(([suffix, rules]) => [suffix, routes(rules)])),
      anyHost: routes(this.anyHost),
      fallback: this.fallback,
    };
  }

  private rulesFor(host: string): PathRule[] {
    if (host === "") return this.anyHost;
    const [map, key] = host.startsWith("*.") ? [this.wildcard, host.slice(1)] : [this.exact, host];
    let rules = map.get(key);
    if (!rules) map.set(key, (rules = []));
    return rules;
  }

  /**
   * The route for a request to `host` (as `routingHost` returns it) and `path` (no query): the
   * rules of the exact host if any Ingress names it, else of the matching `*.` wildcard (one
   * label only), else the host-less rules; within those the longest matching path; the default
   * backend when nothing matches; undefined (a 404) when there is none.
   */
  match(host: string, path: string): Route | undefined {
    const dot = host.indexOf(".");
    const rules = this.exact.get(host) ?? (dot > 0 ? this.wildcard.get(host.slice(dot)) : undefined) ?? this.anyHost;
    const elements = pathElements(path);
    for (const rule of rules) {
      if (rule.kind === "Exact" ? rule.value === path : elementsHavePrefix(elements, rule.elements)) return rule.route;
    }
    return this.fallback;
  }
}
