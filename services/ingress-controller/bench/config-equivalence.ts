// Diffs the ingress's rendered nginx.conf against the peer's on the directives that shape the data path; a difference nobody explained stops the bench.
import type { RouteDirectives } from "./nginx-directives.js";

/** One directive whose value differs between the two configurations (undefined: not set there). */
export interface ConfigDifference {
  context: "main" | "route" | "upstream" | "listen";
  directive: string;
  ingress?: string[];
  peer?: string[];
  why: string;
}

/** Directives without effect on a proxied request: file locations, logging targets of errors, names, reload and TLS settings. */
const IGNORED = new Set([
  "pid",
  "error_log",
  "daemon",
  "master_process",
  "user",
  "worker_shutdown_timeout",
  "client_body_temp_path",
  "proxy_temp_path",
  "fastcgi_temp_path",
  "uwsgi_temp_path",
  "scgi_temp_path",
  "server_name",
  "server_names_hash_bucket_size",
  "uninitialized_variable_warn",
  "log_format",
  "ssl_protocols",
  "ssl_session_cache",
  "ssl_certificate",
  "ssl_certificate_key",
  // The upstream's name differs; its contents are compared as the upstream context.
  "proxy_pass",
  // Compared as the listen context (the route's port only).
  "listen",
]);

/**
 * Differences the ingress has by design, and why the comparison stays fair with them: they are
 * the ingress's own work on every request, so their cost belongs in its figures.
 */
const LUA_SETUP = "loads and configures lua-nginx-module for the request counting of log_by_lua_block (the module's code, its shared dict, the flush timer of each worker)";

const EXPLAINED: Record<string, string> = {
  access_log:
    "the ingress writes one line a request (buffered 32k, flushed every 100 ms), and a second for a request one of whose attempts answered 502 or 504 (its endpoints' connect times), into a FIFO the controller reads for its request metrics (the default --nginx-request-metrics=access-log), as ingress-nginx logs and counts every request; plain nginx logs nothing — the metrics are part of the product, so the fair comparison keeps them on and counts the log writes and the controller's reading in the ingress's CPU",
  log_by_lua_block:
    "with --nginx-request-metrics=lua the ingress counts every request in its worker instead (a Lua table per worker, moved into a shared dict every 100 ms, read by the controller at scrape time); plain nginx counts nothing — the fair comparison keeps the metrics on",
  load_module: LUA_SETUP,
  lua_package_path: LUA_SETUP,
  lua_shared_dict: LUA_SETUP,
  init_by_lua_block: LUA_SETUP,
  init_worker_by_lua_block: LUA_SETUP,
  proxy_set_header:
    "the ingress sets X-Forwarded-For/Proto/Host/Port and X-Real-IP, passes Upgrade with a mapped Connection (websockets) and blanks Keep-Alive, Proxy-Connection and TE (docs/ingress-controller.md, Proxying); plain nginx sets Host and an empty Connection",
  set: "the ingress labels each location ($kp_route: namespace, ingress, service) for its request metrics",
};

function differ(a: string[] | undefined, b: string[] | undefined): boolean {
  return JSON.stringify(a) !== JSON.stringify(b);
}

function compare(context: ConfigDifference["context"], ingress: Map<string, string[]>, peer: Map<string, string[]>): ConfigDifference[] {
  const names = [...new Set([...ingress.keys(), ...peer.keys()])].filter((n) => !IGNORED.has(n)).sort();
  return names
    .filter((n) => differ(ingress.get(n), peer.get(n)))
    .map((n) => ({ context, directive: n, ingress: ingress.get(n), peer: peer.get(n), why: EXPLAINED[n] ?? "" }));
}

/**
 * Every data-path difference between the two configurations, each with its explanation; an
 * unexplained one (empty `why`) means the peer no longer matches and must be aligned.
 */
export function configDifferences(ingress: RouteDirectives, peer: RouteDirectives): ConfigDifference[] {
  const sortedServers = (m: Map<string, string[]>): Map<string, string[]> => new Map([...m].map(([k, v]) => [k, k === "server" ? [...v].sort() : v]));
  const listen = (r: RouteDirectives): Map<string, string[]> => new Map([["listen (options)", [r.listen]]]);
  return [
    ...compare("main", ingress.main, peer.main),
    ...compare("route", ingress.route, peer.route),
    ...compare("upstream", sortedServers(ingress.upstream), sortedServers(peer.upstream)),
    ...compare("listen", listen(ingress), listen(peer)),
  ];
}
