// Unit tests of the bench's configuration diff: the controller's real rendering against the peer's text.
import assert from "node:assert/strict";
import { test } from "node:test";
import { renderNginxConfig } from "../src/nginx-config.js";
import type { Site } from "../src/nginx-site.js";
import { configDifferences } from "./config-equivalence.js";
import { routeDirectives } from "./nginx-directives.js";
import { nginxConfig } from "./nginx-instance.js";
import { peerConfig } from "./peer-config.js";

const ports = [9001, 9002, 9003];
const labels = { namespace: "ns", ingress: "web", service: "web" };
const site: Site = {
  servers: [
    { name: "", certificate: undefined, locations: [{ match: "prefix", path: "/", labels: { namespace: "", ingress: "", service: "" }, status: 404 }] },
    { name: "web.example", certificate: undefined, locations: [{ match: "prefix", path: "/", labels, upstream: "ns.web.80" }] },
  ],
  upstreams: [{ name: "ns.web.80", servers: ports.map((p) => `127.0.0.1:${p}`) }],
};
const options: Parameters<typeof renderNginxConfig>[1] = {
    stateDir: "/state",
    httpListen: "127.0.0.1:8080",
    httpsListen: "127.0.0.1:8443",
    workerProcesses: "1",
    workerUser: "nobody nogroup",
    requestMetrics: { kind: "access-log", fifo: "/state/access.fifo" },
    connectTimeoutMs: 5000,
    workerShutdownTimeoutMs: 10_000,
    fallbackCertificate: "/state/fallback.pem",
    certificatePath: () => "/state/x.pem",
};
const ours = renderNginxConfig(site, options, 1);

test("the route's directives follow nginx's inheritance: the web.example server, its location /, its upstream", () => {
  const route = routeDirectives(ours, "web.example", 8080);
  assert.deepEqual(route.route.get("set"), ["$kp_route ns web web"]);
  assert.deepEqual(route.route.get("proxy_buffering"), ["off"]);
  assert.deepEqual(route.upstream.get("server"), ["127.0.0.1:9001 max_fails=0", "127.0.0.1:9002 max_fails=0", "127.0.0.1:9003 max_fails=0"]);
  assert.deepEqual(route.main.get("worker_connections"), ["16384"]);
  // The default server answers another host: no upstream there.
  assert.throws(() => routeDirectives(ours, "other.example", 8080), /names no upstream/);
});

test("the peer differs from the rendered configuration only where the ingress does its own work", () => {
  const differences = configDifferences(routeDirectives(ours, "web.example", 8080), routeDirectives(nginxConfig("/peer", peerConfig(ports, 8090)), "web.example", 8090));
  assert.deepEqual(
    differences.map((d) => d.directive),
    ["access_log", "proxy_set_header", "set"],
  );
  assert.ok(differences.every((d) => d.why !== ""));
  // Counting in Lua instead: the module's setup and the log phase handler, every one explained.
  const lua = renderNginxConfig(site, { ...options, requestMetrics: { kind: "lua", modulesDir: "/usr/lib/nginx/modules", packageDir: "/state/lua" } }, 1);
  const luaDifferences = configDifferences(routeDirectives(lua, "web.example", 8080), routeDirectives(nginxConfig("/peer", peerConfig(ports, 8090)), "web.example", 8090));
  assert.deepEqual(
    luaDifferences.map((d) => d.directive),
    ["load_module", "init_by_lua_block", "init_worker_by_lua_block", "log_by_lua_block", "lua_package_path", "lua_shared_dict", "proxy_set_header", "set"],
  );
  assert.ok(luaDifferences.every((d) => d.why !== ""));
});

test("a peer with other data-path settings or other backends is reported unexplained", () => {
  const buffering = peerConfig(ports.slice(0, 2), 8090).replace("proxy_buffering off", "proxy_buffering on");
  const differences = configDifferences(routeDirectives(ours, "web.example", 8080), routeDirectives(nginxConfig("/peer", buffering), "web.example", 8090));
  assert.deepEqual(
    differences.filter((d) => d.why === "").map((d) => `${d.context} ${d.directive}`),
    ["route proxy_buffering", "upstream server"],
  );
});
