// Renders the nginx configuration text of a site: one master, its workers, the listeners, servers, locations and upstreams.
import { join } from "node:path";
import type { ParsedCertificate } from "./certificate-store.js";
import { LUA_METRICS_DICT, LUA_METRICS_DICT_SIZE, LUA_METRICS_MODULE, LUA_METRICS_PATH } from "./lua-request-metrics.js";
import type { Site, SiteLocation, SiteServer } from "./nginx-site.js";

/** How long nginx may hold access log lines in its buffer before writing them. */
export const ACCESS_LOG_FLUSH_MS = 100;

/** How nginx runs: listeners, files, workers and the metrics sink. Fixed for a controller's life. */
export interface NginxRenderOptions {
  /** Prefix for pid, temp and certificate files. */
  stateDir: string;
  httpListen: string;
  httpsListen: string;
  workerProcesses: string;
  /** `user` directive for the workers when nginx's master runs as root; undefined when not root. */
  workerUser?: string;
  /** How requests are counted for the metrics (undefined: not at all). */
  requestMetrics?: RequestMetricsSink;
  connectTimeoutMs: number;
  /** How long old workers may finish their requests after a reload or on stop. */
  workerShutdownTimeoutMs: number;
  /** Path of the self-signed fallback certificate and key (one PEM file). */
  fallbackCertificate: string;
  /** Path a Secret's certificate is written to. */
  certificatePath(cert: ParsedCertificate): string;
}

/**
 * Where nginx counts its requests: in its workers with lua-nginx-module (`modulesDir` holds
 * ndk_http_module.so and ngx_http_lua_module.so, `packageDir` the generated kp_metrics.lua), or
 * one access log line a request into a FIFO the controller reads (buffered, flushed every
 * ACCESS_LOG_FLUSH_MS).
 */
export type RequestMetricsSink = { kind: "lua"; modulesDir: string; packageDir: string } | { kind: "access-log"; fifo: string };

/** The unix socket (under the state dir) answering `GET /generation` with the configuration's generation. */
export function controlSocket(stateDir: string): string {
  return join(stateDir, "control.sock");
}

/**
 * A string as an nginx quoted token. `$` is left alone: it is literal in `location` and
 * `server_name`; `set` values are Kubernetes names, which hold none.
 */
function quote(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

function listen(address: string, extra: string): string {
  return `    listen ${address}${extra};`;
}

/** Loads the request-metrics Lua module (Lua's `require "name"`: a call without parentheses); `luaModule` is it as an expression. */
const luaRequire = `require "${LUA_METRICS_MODULE}"`;
const luaModule = `(${luaRequire})`;

/**
 * `$kp_upstream_failed`: "1" unless `$upstream_status` is empty (no upstream) or one status other
 * than 502 and 504 (one attempt, answered). A retried request's list ("502, 200") and a lone 502
 * or 504 fall to the default. Exact keys, a hash lookup a request: a regex cost more.
 */
function upstreamFailedMap(): string[] {
  const answered: string[] = [];
  for (let status = 100; status <= 599; status++) if (status !== 502 && status !== 504) answered.push(`${status} ''`);
  const lines: string[] = [];
  for (let i = 0; i < answered.length; i += 14) lines.push(`    ${answered.slice(i, i + 14).join("; ")};`);
  return ["  map $upstream_status $kp_upstream_failed {", "    default 1;", "    '' '';", ...lines, "  }"];
}

/** A label for `$kp_route`: "-" when empty (Kubernetes names hold neither spaces nor "-" alone). */
const label = (value: string): string => (value === "" ? "-" : value);

function location(loc: SiteLocation): string {
  const head = loc.match === "exact" ? `location = ${quote(loc.path)}` : `location ${quote(loc.path)}`;
  const labels = `set $kp_route ${quote(`${label(loc.labels.namespace)} ${label(loc.labels.ingress)} ${label(loc.labels.service)}`)};`;
  const action = loc.upstream === undefined ? `return ${loc.status ?? 404};` : `proxy_pass http://${loc.upstream};`;
  return `    ${head} {\n      ${labels}\n      ${action}\n    }`;
}

/** A wildcard suffix ".example.com" as a regex server name matching exactly one more label. */
function wildcardName(suffix: string): string {
  return `"~^[^.]+${suffix.replace(/[.\\^$|?*+()[\]{}]/g, (c) => `\\${c}`)}$"`;
}

function server(s: SiteServer, opts: NginxRenderOptions): string {
  const isDefault = s.name === "";
  const flag = isDefault ? " default_server" : "";
  const name = isDefault ? "_" : s.name.startsWith(".") ? wildcardName(s.name) : quote(s.name);
  const cert = s.certificate ? opts.certificatePath(s.certificate) : opts.fallbackCertificate;
  return [
    "  server {",
    listen(opts.httpListen, flag),
    listen(opts.httpsListen, ` ssl${flag}`),
    `    server_name ${name};`,
    `    ssl_certificate ${quote(cert)};`,
    `    ssl_certificate_key ${quote(cert)};`,
    ...(opts.requestMetrics?.kind === "lua" ? [`    log_by_lua_block { ${luaModule}.log() }`] : []),
    ...s.locations.map(location),
    "  }",
  ].join("\n");
}

/**
 * The whole nginx.conf. Proxy settings follow ingress-nginx's defaults where our documented
 * behaviour agrees (HTTP/1.1 and keep-alive upstream, X-Forwarded-*, Upgrade passed on) and ours
 * where it differs: bodies stream both ways unbuffered and unlimited, every endpoint is tried at
 * most once per request and never marked down (`max_fails=0`: round-robin as the Node proxy did).
 * `generation` is served on the control socket, so the controller sees when a reload took effect.
 */
export function renderNginxConfig(site: Site, opts: NginxRenderOptions, generation: number): string {
  const tmp = (name: string): string => quote(join(opts.stateDir, "tmp", name));
  const sink = opts.requestMetrics;
  const metricsMain = sink?.kind === "lua" ? [`load_module ${quote(join(sink.modulesDir, "ndk_http_module.so"))};`, `load_module ${quote(join(sink.modulesDir, "ngx_http_lua_module.so"))};`] : [];
  const metricsHttp =
    sink?.kind === "lua"
      ? [
          "  access_log off;",
          `  lua_package_path ${quote(`${join(sink.packageDir, "?.lua")};;`)};`,
          `  lua_shared_dict ${LUA_METRICS_DICT} ${LUA_METRICS_DICT_SIZE};`,
          // Loaded by the master (root, before the workers drop privileges); the workers inherit it.
          `  init_by_lua_block { ${luaRequire} }`,
          `  init_worker_by_lua_block { ${luaModule}.start() }`,
        ]
      : sink?.kind === "access-log"
        ? [
            // One short line a request. Endpoints that never connected need `$upstream_connect_time`, which costs the
            // worker ~1 µs a request (measured: 0.88–0.90× plain nginx's req/s with it in every line, 0.94–0.95× without),
            // so it goes into a second line only for a request one of whose attempts answered 502 or 504 (both lines share
            // one buffer: nginx keeps one per file).
            "  log_format kp_metrics '$kp_route $status $request_time';",
            "  log_format kp_failures '$kp_route F $upstream_connect_time';",
            ...upstreamFailedMap(),
            `  access_log ${quote(sink.fifo)} kp_metrics buffer=32k flush=${ACCESS_LOG_FLUSH_MS}ms;`,
            `  access_log ${quote(sink.fifo)} kp_failures buffer=32k flush=${ACCESS_LOG_FLUSH_MS}ms if=$kp_upstream_failed;`,
          ]
        : ["  access_log off;"];
  const metricsControl = sink?.kind === "lua" ? [`    location = ${LUA_METRICS_PATH} { content_by_lua_block { ${luaModule}.dump() } }`] : [];
  const upstreams = site.upstreams.map((u) =>
    [`  upstream ${u.name} {`, ...u.servers.map((s) => `    server ${s} max_fails=0;`), "    keepalive 64;", "    keepalive_timeout 30s;", "  }"].join("\n"),
  );
  return [
    "# Generated by the Kubeplane ingress-controller; rewritten on every change. Do not edit.",
    ...metricsMain,
    ...(opts.workerUser ? [`user ${opts.workerUser};`] : []),
    "daemon off;",
    "master_process on;",
    `worker_processes ${opts.workerProcesses};`,
    `worker_shutdown_timeout ${Math.max(1, Math.ceil(opts.workerShutdownTimeoutMs / 1000))}s;`,
    `pid ${quote(join(opts.stateDir, "nginx.pid"))};`,
    "error_log stderr warn;",
    "events {",
    "  worker_connections 16384;",
    "}",
    "http {",
    ...metricsHttp,
    "  uninitialized_variable_warn off;",
    "  server_tokens off;",
    "  keepalive_timeout 75s;",
    "  keepalive_requests 10000;",
    "  client_max_body_size 0;",
    `  client_body_temp_path ${tmp("client-body")};`,
    `  proxy_temp_path ${tmp("proxy")};`,
    `  fastcgi_temp_path ${tmp("fastcgi")};`,
    `  uwsgi_temp_path ${tmp("uwsgi")};`,
    `  scgi_temp_path ${tmp("scgi")};`,
    "  server_names_hash_bucket_size 128;",
    "  map $http_upgrade $kp_connection {",
    "    default upgrade;",
    "    '' '';",
    "  }",
    "  proxy_http_version 1.1;",
    "  proxy_request_buffering off;",
    "  proxy_buffering off;",
    `  proxy_connect_timeout ${Math.max(1, opts.connectTimeoutMs)}ms;`,
    "  proxy_next_upstream error timeout;",
    "  proxy_set_header Host $http_host;",
    "  proxy_set_header Upgrade $http_upgrade;",
    "  proxy_set_header Connection $kp_connection;",
    "  proxy_set_header Keep-Alive '';",
    "  proxy_set_header Proxy-Connection '';",
    "  proxy_set_header TE '';",
    "  proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
    "  proxy_set_header X-Forwarded-Proto $scheme;",
    "  proxy_set_header X-Forwarded-Host $host;",
    "  proxy_set_header X-Forwarded-Port $server_port;",
    "  proxy_set_header X-Real-IP $remote_addr;",
    "  ssl_protocols TLSv1.2 TLSv1.3;",
    "  ssl_session_cache shared:kp_ssl:10m;",
    ...upstreams,
    ...site.servers.map((s) => server(s, opts)),
    "  server {",
    `    listen ${quote(`unix:${controlSocket(opts.stateDir)}`)};`,
    "    access_log off;",
    `    location = /generation { return 200 "${generation}"; }`,
    ...metricsControl,
    "  }",
    "}",
    "",
  ].join("\n");
}
