// Unit tests of the nginx site model and its rendered text (checked by the real `nginx -t`).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import type { networkingV1 } from "@kubeplane/api";
import { parseAccessLogLine } from "./access-log-metrics.js";
import { writeLuaMetricsModule } from "./lua-request-metrics.js";
import { renderNginxConfig } from "./nginx-config.js";
import { buildSite, type SiteInputs } from "./nginx-site.js";
import { RoutingTable } from "./routing-table.js";
import { selfSignedCertificate } from "./self-signed-certificate.js";

type PathSpec = [pathType: string, path: string, service: string];

function ingress(name: string, created: string, rules: Array<[host: string, paths: PathSpec[]]>, defaultService?: string): networkingV1.Ingress {
  return {
    metadata: { namespace: "ns", name, creationTimestamp: created },
    spec: {
      ...(defaultService ? { defaultBackend: { service: { name: defaultService, port: { number: 80 } } } } : {}),
      rules: rules.map(([host, paths]) => ({
        host,
        http: { paths: paths.map(([pathType, path, service]) => ({ pathType, path, backend: { service: { name: service, port: { number: 80 } } } })) },
      })),
      tls: [],
    },
  } as unknown as networkingV1.Ingress;
}

function inputs(ingresses: networkingV1.Ingress[], withoutEndpoints: string[] = []): SiteInputs {
  return {
    routes: new RoutingTable(ingresses).groups(),
    endpoints: (b) => (withoutEndpoints.includes(b.service) ? [] : [{ ip: "127.0.0.1", port: 8000 + b.service.length }]),
    certificateFor: () => undefined,
    wildcardCertificateFor: () => undefined,
    tlsHosts: { exact: [], wildcard: [] },
  };
}

test("a Prefix path is an exact location plus a whole-element prefix; Exact keeps a path both claim", () => {
  const site = buildSite(inputs([ingress("web", "2024-01-01T00:00:00Z", [["a.example", [["Prefix", "/foo/", "p"], ["Exact", "/foo", "e"], ["Prefix", "/", "root"]]]])]));
  const server = site.servers.find((s) => s.name === "a.example")!;
  const view = server.locations.map((l) => `${l.match} ${l.path} ${l.labels.service}`);
  assert.deepEqual(view, ["exact /foo e", "prefix /foo/ p", "prefix / root"]);
});

test("every server ends in location /: the default backend, else 404; a backend without endpoints answers 503", () => {
  const site = buildSite(inputs([ingress("web", "2024-01-01T00:00:00Z", [["a.example", [["Exact", "/x", "gone"]]]], "def")], ["gone"]));
  const a = site.servers.find((s) => s.name === "a.example")!;
  assert.deepEqual(a.locations.map((l) => [l.path, l.status, l.upstream]), [["/x", 503, undefined], ["/", undefined, "ns.def.80"]]);
  const bare = buildSite(inputs([]));
  assert.deepEqual(bare.servers.map((s) => s.locations.map((l) => [l.path, l.status])), [[["/", 404]]]);
});

test("wildcard hosts are one-label regex server names; exact hosts and the default server are kept apart", () => {
  const site = buildSite(inputs([ingress("web", "2024-01-01T00:00:00Z", [["*.example.com", [["Prefix", "/", "w"]]], ["", [["Prefix", "/", "any"]]]])]));
  assert.deepEqual(site.servers.map((s) => s.name), ["", ".example.com"]);
  const text = renderNginxConfig(site, renderOptions("/state"), 1);
  assert.match(text, /server_name "~\^\[\^\.\]\+\\\.example\\\.com\$";/);
  assert.match(text, /listen 127\.0\.0\.1:8080 default_server;/);
});

test("the rendered configuration passes nginx -t", async () => {
  const dir = await mkdtemp(join(tmpdir(), "kp-nginx-site-"));
  try {
    await mkdir(join(dir, "tmp"));
    const pem = await selfSignedCertificate("fallback.test");
    await writeFile(join(dir, "fallback.pem"), `${pem.cert}\n${pem.key}\n`);
    const site = buildSite(
      inputs([
        ingress("web", "2024-01-01T00:00:00Z", [["a.example", [["Prefix", "/api", "api"], ["Exact", '/we"ird path', "x"]]], ["*.b.example", [["Prefix", "/", "b"]]]], "def"),
        ingress("late", "2024-02-01T00:00:00Z", [["a.example", [["Prefix", "/api", "other"]]]]),
      ]),
    );
    await writeLuaMetricsModule(join(dir, "lua"));
    const file = join(dir, "nginx.conf");
    await writeFile(file, renderNginxConfig(site, renderOptions(dir), 7));
    await promisify(execFile)("nginx", ["-t", "-q", "-p", dir, "-c", file]);
    // The same site counting requests through the access log instead (nginx without Lua).
    await writeFile(file, renderNginxConfig(site, { ...renderOptions(dir), requestMetrics: { kind: "access-log", fifo: join(dir, "access.log") } }, 7));
    await promisify(execFile)("nginx", ["-t", "-q", "-p", dir, "-c", file]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("an access log line gives a request's labels, status and duration; a failures line the endpoints that never connected", () => {
  assert.deepEqual(parseAccessLogLine("ns web b 200 0.004"), { namespace: "ns", ingress: "web", service: "b", status: "200", seconds: 0.004, requests: 1, connectFailures: 0 });
  assert.deepEqual(parseAccessLogLine("- - - 404 0.000"), { namespace: "", ingress: "", service: "", status: "404", seconds: 0, requests: 1, connectFailures: 0 });
  assert.deepEqual(parseAccessLogLine("ns web b F -, 0.000"), { namespace: "ns", ingress: "web", service: "b", status: "", seconds: 0, requests: 0, connectFailures: 1 });
  assert.equal(parseAccessLogLine("ns web b F -")?.connectFailures, 1, "the only endpoint refused");
  assert.equal(parseAccessLogLine("ns web b F -, - : 0.001")?.connectFailures, 2, "attempts across an internal redirect");
  assert.equal(parseAccessLogLine("ns web b F 0.001")?.connectFailures, 0, "a backend's own 502: it connected");
  assert.equal(parseAccessLogLine("garbage"), undefined);
  assert.equal(parseAccessLogLine("ns web b 200 0.004 extra"), undefined);
});

function renderOptions(stateDir: string): Parameters<typeof renderNginxConfig>[1] {
  return {
    stateDir,
    httpListen: "127.0.0.1:8080",
    httpsListen: "127.0.0.1:8443",
    workerProcesses: "1",
    requestMetrics: { kind: "lua", modulesDir: "/usr/lib/nginx/modules", packageDir: join(stateDir, "lua") },
    connectTimeoutMs: 5000,
    workerShutdownTimeoutMs: 30_000,
    fallbackCertificate: join(stateDir, "fallback.pem"),
    certificatePath: (cert) => join(stateDir, `${cert.id}.pem`),
  };
}
