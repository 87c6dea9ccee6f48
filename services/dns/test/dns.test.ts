// Integration test of the dns service: a real control plane, the service as a process, queried with real `dig`.
import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { once } from "node:events";
import { after, before, test } from "node:test";
import { kindFor, type KindInfo } from "@kubeplane/api";
import { ApiClient, type JsonObject } from "@kubeplane/client";
import { loadConfig } from "@kubeplane/service-kit";
import { clientTls, freePort, serviceEntry, serviceTlsConfig, startControlPlane, startServiceProcess, waitFor, type ControlPlane, type ServiceProcess } from "@kubeplane/testing";
import { dnsConfig, startDns, type RunningDns } from "../src/index.js";
import { dig, rdata, startUpstream } from "./support.js";

const namespaces = kindFor("v1", "Namespace") as KindInfo;
const services = kindFor("v1", "Service") as KindInfo;
const slices = kindFor("discovery.k8s.io/v1", "EndpointSlice") as KindInfo;
const pods = kindFor("v1", "Pod") as KindInfo;
const statefulSets = kindFor("apps/v1", "StatefulSet") as KindInfo;
const ns = "dns-e2e";
const zone = "cluster.local";

let cp: ControlPlane;
let client: ApiClient;
let dns: ServiceProcess;
let controllers: ServiceProcess;
let port: number;
let upstream: Awaited<ReturnType<typeof startUpstream>>;
let webIp: string;

function svc(name: string, spec: JsonObject): JsonObject {
  return { apiVersion: "v1", kind: "Service", metadata: { namespace: ns, name }, spec };
}

function slice(name: string, service: string, endpoints: JsonObject[], ports: JsonObject[]): JsonObject {
  return {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: { namespace: ns, name, labels: { "kubernetes.io/service-name": service } },
    addressType: "IPv4",
    endpoints,
    ports,
  };
}

before(async () => {
  cp = await startControlPlane();
  client = ApiClient.connect({ ...clientTls(), server: cp.apiserver.grpcAddress });
  await client.json.create(namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
  const web = await client.json.create(services, svc("web", { ports: [{ name: "http", port: 80, targetPort: 8080 }], selector: { app: "web" } }));
  webIp = (web.spec as { clusterIP: string }).clusterIP;
  await client.json.create(services, svc("db", { clusterIP: "None", ports: [{ name: "sql", port: 5432 }], selector: { app: "db" } }));
  await client.json.create(
    slices,
    slice("db-abc", "db", [
      { addresses: ["10.244.1.5"], hostname: "db-0", conditions: { ready: true } },
      { addresses: ["10.244.1.6"], hostname: "db-1", conditions: { ready: true } },
      { addresses: ["10.244.1.7"], hostname: "db-2", conditions: { ready: false } },
    ], [{ name: "sql", port: 5432, protocol: "TCP" }]),
  );
  await client.json.create(services, svc("ext", { type: "ExternalName", externalName: "upstream.example" }));
  upstream = await startUpstream("upstream.example", "192.0.2.7");
  port = await freePort();
  // The StatefulSet and EndpointSlice controllers give pod DNS its records (see the StatefulSet test).
  [dns, controllers] = await Promise.all([
    startServiceProcess({
      entry: serviceEntry("dns"),
      flags: { apiserver: cp.apiserver.grpcAddress, "nats-url": cp.nats.url, "dns-listen": `127.0.0.1:${port}`, upstreams: `127.0.0.1:${upstream.port}`, "upstream-timeout": "1s" },
    }),
    startServiceProcess({
      entry: serviceEntry("controller-manager"),
      flags: { apiserver: cp.apiserver.grpcAddress, "nats-url": cp.nats.url, "leader-elect": "false", controllers: "statefulset,endpointslice" },
      readyTimeoutMs: 30_000,
    }),
  ]);
});

after(async () => {
  await controllers?.kill();
  await dns?.kill();
  await upstream?.close();
  client?.close();
  await cp?.stop();
});

test("A for a ClusterIP Service is its allocated ClusterIP, over UDP and TCP", async () => {
  for (const tcp of [false, true]) {
    const r = await dig(port, `web.${ns}.svc.${zone}`, "A", { tcp });
    assert.equal(r.status, "NOERROR");
    assert.ok(r.flags.includes("aa"), "authoritative");
    assert.deepEqual(rdata(r.answers, "A"), [webIp]);
    assert.equal(r.answers[0]?.[1], "30", "the positive TTL");
  }
});

test("a headless Service answers one A per ready endpoint and pod hostnames", async () => {
  const all = await dig(port, `db.${ns}.svc.${zone}`, "A");
  assert.deepEqual(rdata(all.answers, "A").sort(), ["10.244.1.5", "10.244.1.6"]);
  assert.deepEqual(rdata((await dig(port, `db-1.db.${ns}.svc.${zone}`, "A")).answers, "A"), ["10.244.1.6"]);
  assert.equal((await dig(port, `db-2.db.${ns}.svc.${zone}`, "A")).status, "NXDOMAIN", "a not-ready endpoint is not published");
});

test("a StatefulSet member resolves as <pod>.<service>.<ns>.svc (and back by PTR); its dashed address as <a-b-c-d>.<ns>.pod", async () => {
  await client.json.create(services, svc("pg", { clusterIP: "None", ports: [{ name: "sql", port: 5432 }], selector: { app: "pg" } }));
  await client.json.create(statefulSets, {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: { namespace: ns, name: "pg" },
    spec: {
      serviceName: "pg",
      replicas: 1,
      selector: { matchLabels: { app: "pg" } },
      template: { metadata: { labels: { app: "pg" } }, spec: { containers: [{ name: "pg", image: "busybox" }] } },
    },
  });
  const pod = await waitFor(() => client.json.get(pods, ns, "pg-0").catch(() => undefined), { timeoutMs: 15_000, message: "the StatefulSet controller created pg-0" });
  assert.deepEqual([(pod.spec as JsonObject).hostname, (pod.spec as JsonObject).subdomain], ["pg-0", "pg"]);
  // No kubelet here: report the pod running and ready at an address, as the kubelet would.
  const ip = "10.244.3.7";
  const now = new Date().toISOString();
  await client.json.updateStatus(pods, { ...pod, status: { phase: "Running", podIP: ip, podIPs: [{ ip }], conditions: [{ type: "Ready", status: "True", lastTransitionTime: now }] } });
  const member = await waitFor(
    async () => {
      const r = await dig(port, `pg-0.pg.${ns}.svc.${zone}`, "A");
      return r.status === "NOERROR" && r.answers.length > 0 && r;
    },
    { timeoutMs: 15_000, message: "pg-0.pg resolves" },
  );
  assert.deepEqual(rdata(member.answers, "A"), [ip]);
  assert.deepEqual(rdata((await dig(port, `pg.${ns}.svc.${zone}`, "A")).answers, "A"), [ip]);
  assert.deepEqual(rdata((await dig(port, ip, "PTR", { reverse: true })).answers, "PTR"), [`pg-0.pg.${ns}.svc.${zone}.`]);
  const dashed = await dig(port, `10-244-3-7.${ns}.pod.${zone}`, "A");
  assert.deepEqual([dashed.status, rdata(dashed.answers, "A")], ["NOERROR", [ip]]);
  assert.equal((await dig(port, `10-244-3-700.${ns}.pod.${zone}`, "A")).status, "NXDOMAIN");
});

test("SRV for named ports: the Service for ClusterIP, each endpoint for headless", async () => {
  const web = await dig(port, `_http._tcp.web.${ns}.svc.${zone}`, "SRV", { tcp: true });
  assert.deepEqual(rdata(web.answers, "SRV"), [`0 100 80 web.${ns}.svc.${zone}.`]);
  assert.deepEqual(rdata(web.additional, "A"), [webIp]);
  const db = await dig(port, `_sql._tcp.db.${ns}.svc.${zone}`, "SRV");
  assert.deepEqual(rdata(db.answers, "SRV").sort(), [`0 50 5432 db-0.db.${ns}.svc.${zone}.`, `0 50 5432 db-1.db.${ns}.svc.${zone}.`]);
});

test("PTR for a ClusterIP and for an endpoint address", async () => {
  assert.deepEqual(rdata((await dig(port, webIp, "PTR", { reverse: true })).answers, "PTR"), [`web.${ns}.svc.${zone}.`]);
  assert.deepEqual(rdata((await dig(port, "10.244.1.5", "PTR", { reverse: true })).answers, "PTR"), [`db-0.db.${ns}.svc.${zone}.`]);
});

test("CNAME for an ExternalName Service", async () => {
  const r = await dig(port, `ext.${ns}.svc.${zone}`, "CNAME");
  assert.deepEqual(rdata(r.answers, "CNAME"), ["upstream.example."]);
});

test("an unknown name in the zone is NXDOMAIN with the SOA; the namespace name is NODATA", async () => {
  const r = await dig(port, `nope.${ns}.svc.${zone}`, "A");
  assert.equal(r.status, "NXDOMAIN");
  assert.deepEqual(r.authority.map((f) => [f[0], f[1], f[3], f[4]]), [[`${zone}.`, "5", "SOA", `ns.dns.${zone}.`]]);
  const nsName = await dig(port, `${ns}.svc.${zone}`, "A");
  assert.deepEqual([nsName.status, nsName.answers.length, nsName.authority[0]?.[3]], ["NOERROR", 0, "SOA"]);
});

test("changes to Services and EndpointSlices show in answers; a deleted Service becomes NXDOMAIN", async () => {
  const name = `_metrics._tcp.web.${ns}.svc.${zone}`;
  assert.equal((await dig(port, name, "SRV")).status, "NXDOMAIN");
  await client.json.patch(services, ns, "web", { spec: { ports: [{ name: "http", port: 80, targetPort: 8080 }, { name: "metrics", port: 9090, targetPort: 9090 }] } });
  await waitFor(async () => rdata((await dig(port, name, "SRV")).answers, "SRV").includes(`0 100 9090 web.${ns}.svc.${zone}.`), { timeoutMs: 10_000, message: "the new port's SRV" });

  await client.json.patch(slices, ns, "db-abc", {
    endpoints: [
      { addresses: ["10.244.1.5"], hostname: "db-0", conditions: { ready: true } },
      { addresses: ["10.244.1.8"], hostname: "db-3", conditions: { ready: true } },
    ],
  });
  await waitFor(async () => rdata((await dig(port, `db.${ns}.svc.${zone}`, "A")).answers, "A").sort().join() === "10.244.1.5,10.244.1.8", {
    timeoutMs: 10_000,
    message: "the headless Service's new endpoint set",
  });

  await client.json.create(services, svc("late", { ports: [{ port: 81 }], selector: { app: "late" } }));
  await waitFor(async () => rdata((await dig(port, `late.${ns}.svc.${zone}`, "A")).answers, "A").length === 1, { timeoutMs: 10_000, message: "the new Service's A" });
  await client.json.delete(services, ns, "late");
  await waitFor(async () => (await dig(port, `late.${ns}.svc.${zone}`, "A")).status === "NXDOMAIN", { timeoutMs: 10_000, message: "NXDOMAIN after the delete" });
});

test("a UDP answer that does not fit sets TC, and dig's retry over TCP gets it whole", async () => {
  const endpoints = Array.from({ length: 150 }, (_, i) => ({ addresses: [`10.245.${i >> 8}.${(i & 255) + 1}`], conditions: { ready: true } }));
  await client.json.create(services, svc("big", { clusterIP: "None", ports: [{ port: 80 }], selector: { app: "big" } }));
  await client.json.create(slices, slice("big-1", "big", endpoints, [{ port: 80, protocol: "TCP" }]));
  const name = `big.${ns}.svc.${zone}`;
  const whole = await waitFor(
    async () => {
      const r = await dig(port, name, "A");
      return rdata(r.answers, "A").length === 150 ? r : undefined;
    },
    { timeoutMs: 10_000, message: "150 A records (dig retries over TCP on TC)" },
  );
  assert.equal(whole.status, "NOERROR");
  const truncated = await dig(port, name, "A", { extra: ["+ignore", "+noedns"] });
  assert.ok(truncated.flags.includes("tc"), `TC set over UDP without EDNS (flags ${truncated.flags.join(" ")})`);
  assert.equal(truncated.answers.length, 0);
  const edns = await dig(port, name, "A", { extra: ["+ignore", "+bufsize=4096"] });
  assert.deepEqual([edns.flags.includes("tc"), edns.answers.length], [false, 150], "the EDNS payload size is honoured");
});

test("names outside the zone are forwarded to the upstream and relayed", async () => {
  const before = upstream.queries();
  for (const tcp of [false, true]) {
    const r = await dig(port, "upstream.example", "A", { tcp });
    assert.equal(r.status, "NOERROR");
    assert.deepEqual(rdata(r.answers, "A"), ["192.0.2.7"]);
  }
  assert.equal((await dig(port, "other.example", "A")).status, "REFUSED", "the upstream's rcode is relayed");
  assert.equal(upstream.queries() - before, 3);
});

test("the service exports CoreDNS-named metrics", async () => {
  const text = await dns.metrics();
  assert.match(text, /coredns_dns_requests_total\{proto="udp",type="A"\} \d+/);
  assert.match(text, /coredns_dns_requests_total\{proto="tcp",type="A"\} \d+/);
  assert.match(text, /coredns_dns_responses_total\{rcode="NXDOMAIN"\} \d+/);
  assert.match(text, /coredns_dns_request_duration_seconds_bucket/);
  assert.match(text, /coredns_kubernetes_dns_records [1-9]\d*/);
});

test("without upstreams, a name outside the zone is SERVFAIL", async () => {
  const defaults = loadConfig(dnsConfig, { argv: [], envPrefix: "KP_DNS_TEST_UNSET", program: "dns-test" });
  const inProcess: RunningDns = await startDns({
    ...defaults, ...serviceTlsConfig(clientTls("dns")),
    grpcListen: "127.0.0.1:0",
    httpListen: "127.0.0.1:0",
    logLevel: "silent",
    apiserver: cp.apiserver.grpcAddress,
    natsUrl: cp.nats.url,
    dnsListen: "127.0.0.1:0",
  });
  try {
    await waitFor(() => inProcess.isSynced(), { timeoutMs: 10_000, message: "the informers synced" });
    assert.equal((await dig(inProcess.dnsPort, "upstream.example", "A")).status, "SERVFAIL");
    assert.deepEqual(rdata((await dig(inProcess.dnsPort, `web.${ns}.svc.${zone}`, "A")).answers, "A"), [webIp]);
  } finally {
    await inProcess.stop();
  }
});

test("SIGTERM stops the service cleanly and frees the DNS port", async () => {
  await dns.kill("SIGTERM");
  assert.doesNotMatch(dns.output(), /"level":(50|60)/, "no error or fatal log on the way down");
  const socket = createSocket("udp4");
  socket.bind(port, "127.0.0.1");
  await once(socket, "listening");
  await new Promise<void>((resolve) => socket.close(() => resolve()));
});
