// Unit tests of the answers for every record type, encoded and decoded, against an index filled directly.
import assert from "node:assert/strict";
import { test } from "node:test";
import dnsPacket from "dns-packet";
import { Registry } from "prom-client";
import { createLogger } from "@kubeplane/service-kit";
import { Forwarder } from "./forwarder.js";
import { dnsMetrics } from "./metrics.js";
import { QueryHandler, type Transport } from "./query-handler.js";
import { RecordIndex } from "./record-index.js";
import { endpointSlice, queryBytes, service } from "./test-support.js";

const rcodes = ["NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"];

function cluster(): RecordIndex {
  const index = new RecordIndex("cluster.local");
  index.setService(service("default", "web", { clusterIp: "10.96.0.20", ports: [{ name: "http", port: 80 }] }));
  index.setService(service("default", "ext", { type: "ExternalName", externalName: "www.example.com" }));
  index.setService(service("default", "alias", { type: "ExternalName", externalName: "web.default.svc.cluster.local" }));
  index.setService(service("db", "pg", { clusterIp: "None", ports: [{ name: "sql", port: 5432 }] }));
  index.setEndpointSlice(endpointSlice("db", "pg-1", "pg", [{ addresses: ["10.1.0.5"], hostname: "pg-0" }, { addresses: ["10.1.0.6"], hostname: "pg-1" }], [{ name: "sql", port: 5432 }]));
  index.setService(service("default", "v6", { clusterIps: ["fd00::15"], clusterIp: "fd00::15", ports: [{ port: 80 }] }));
  return index;
}

function handler(index: RecordIndex, synced = true): { handler: QueryHandler; registry: Registry } {
  const registry = new Registry();
  const metrics = dnsMetrics(registry);
  const forwarder = new Forwarder([], 1000, metrics, createLogger("dns-test", "silent"));
  return { handler: new QueryHandler({ index, settings: { ttl: 30, negativeTtl: 5 }, forwarder, metrics, isSynced: () => synced }), registry };
}

interface Answer {
  rcode: string;
  flags: { aa: boolean; tc: boolean; rd: boolean };
  id: number | undefined;
  packet: dnsPacket.DecodedPacket;
}

async function ask(h: QueryHandler, name: string, type: dnsPacket.RecordType, opts: { udpSize?: number; proto?: Transport } = {}): Promise<Answer> {
  const out = await h.handle(queryBytes(name, type, opts), opts.proto ?? "udp");
  assert.ok(out, "a response");
  const packet = dnsPacket.decode(out);
  return { rcode: rcodes[out[3]! & 0xf] ?? String(out[3]! & 0xf), flags: { aa: packet.flag_aa, tc: packet.flag_tc, rd: packet.flag_rd }, id: packet.id, packet };
}

const data = (a: Answer): unknown[] => (a.packet.answers ?? []).map((r) => ("data" in r ? r.data : undefined));

test("A for a ClusterIP Service, authoritative, with the positive TTL and the client's ID", async () => {
  const { handler: h } = handler(cluster());
  const a = await ask(h, "web.default.svc.cluster.local", "A");
  assert.equal(a.rcode, "NOERROR");
  assert.deepEqual([a.flags.aa, a.flags.rd, a.id], [true, true, 4242]);
  assert.deepEqual(data(a), ["10.96.0.20"]);
  assert.equal(a.packet.answers?.[0]?.type === "A" && a.packet.answers[0].ttl, 30);
});

test("names are case-insensitive and answers keep the question's case", async () => {
  const { handler: h } = handler(cluster());
  const a = await ask(h, "WEB.Default.SVC.cluster.local", "A");
  assert.deepEqual(data(a), ["10.96.0.20"]);
  assert.equal(a.packet.answers?.[0]?.name, "WEB.Default.SVC.cluster.local");
});

test("AAAA for an IPv6 Service; A for it is NODATA", async () => {
  const { handler: h } = handler(cluster());
  assert.deepEqual(data(await ask(h, "v6.default.svc.cluster.local", "AAAA")), ["fd00::15"]);
  const a = await ask(h, "v6.default.svc.cluster.local", "A");
  assert.deepEqual([a.rcode, a.packet.answers?.length, a.packet.authorities?.[0]?.type], ["NOERROR", 0, "SOA"]);
});

test("A for a headless Service is one record per ready endpoint; pod hostnames resolve", async () => {
  const { handler: h } = handler(cluster());
  assert.deepEqual(data(await ask(h, "pg.db.svc.cluster.local", "A")), ["10.1.0.5", "10.1.0.6"]);
  assert.deepEqual(data(await ask(h, "pg-1.pg.db.svc.cluster.local", "A")), ["10.1.0.6"]);
});

test("pod names (pods insecure): a dashed address answers A/AAAA, the other type NODATA, a malformed one NXDOMAIN", async () => {
  const { handler: h } = handler(cluster());
  const a = await ask(h, "10-244-1-5.Shop.pod.cluster.local", "A");
  assert.deepEqual([a.rcode, a.flags.aa, data(a), a.packet.answers?.[0]?.name], ["NOERROR", true, ["10.244.1.5"], "10-244-1-5.Shop.pod.cluster.local"]);
  assert.deepEqual(data(await ask(h, "fd00--5.shop.pod.cluster.local", "AAAA")), ["fd00::5"]);
  const nodata = await ask(h, "10-244-1-5.shop.pod.cluster.local", "AAAA");
  assert.deepEqual([nodata.rcode, nodata.packet.answers?.length, nodata.packet.authorities?.[0]?.type], ["NOERROR", 0, "SOA"]);
  const ns = await ask(h, "shop.pod.cluster.local", "A");
  assert.deepEqual([ns.rcode, ns.packet.answers?.length], ["NOERROR", 0]);
  const bad = await ask(h, "10-244-1-999.shop.pod.cluster.local", "A");
  assert.deepEqual([bad.rcode, bad.packet.authorities?.[0]?.type], ["NXDOMAIN", "SOA"]);
});

test("SRV for a named port: the Service name for ClusterIP, each endpoint for headless, with A in additional", async () => {
  const { handler: h } = handler(cluster());
  const web = await ask(h, "_http._tcp.web.default.svc.cluster.local", "SRV");
  assert.deepEqual(data(web), [{ priority: 0, weight: 100, port: 80, target: "web.default.svc.cluster.local" }]);
  assert.deepEqual(web.packet.additionals?.map((r) => [r.name, "data" in r ? r.data : undefined]), [["web.default.svc.cluster.local", "10.96.0.20"]]);
  const pg = await ask(h, "_sql._tcp.pg.db.svc.cluster.local", "SRV");
  assert.deepEqual(
    data(pg).map((d) => (d as dnsPacket.SrvData).target),
    ["pg-0.pg.db.svc.cluster.local", "pg-1.pg.db.svc.cluster.local"],
  );
  assert.equal(pg.packet.additionals?.length, 2);
});

test("PTR for a ClusterIP and for an endpoint address", async () => {
  const { handler: h } = handler(cluster());
  assert.deepEqual(data(await ask(h, "20.0.96.10.in-addr.arpa", "PTR")), ["web.default.svc.cluster.local"]);
  assert.deepEqual(data(await ask(h, "6.0.1.10.in-addr.arpa", "PTR")), ["pg-1.pg.db.svc.cluster.local"]);
});

test("CNAME for an ExternalName Service, for any type; an in-zone target is followed", async () => {
  const { handler: h } = handler(cluster());
  const ext = await ask(h, "ext.default.svc.cluster.local", "A");
  assert.deepEqual(ext.packet.answers?.map((r) => [r.type, "data" in r ? r.data : undefined]), [["CNAME", "www.example.com"]]);
  assert.deepEqual(data(await ask(h, "ext.default.svc.cluster.local", "CNAME")), ["www.example.com"]);
  const alias = await ask(h, "alias.default.svc.cluster.local", "A");
  assert.deepEqual(alias.packet.answers?.map((r) => r.type), ["CNAME", "A"]);
  assert.deepEqual(data(alias), ["web.default.svc.cluster.local", "10.96.0.20"]);
});

test("an unknown name in the zone is NXDOMAIN with the zone's SOA carrying the negative TTL", async () => {
  const { handler: h } = handler(cluster());
  const a = await ask(h, "nope.default.svc.cluster.local", "A");
  assert.equal(a.rcode, "NXDOMAIN");
  assert.equal(a.packet.answers?.length, 0);
  const soa = a.packet.authorities?.[0];
  assert.ok(soa?.type === "SOA");
  assert.equal(soa.name, "cluster.local");
  assert.equal(soa.ttl, 5);
  assert.deepEqual([soa.data.mname, soa.data.rname, soa.data.minimum], ["ns.dns.cluster.local", "hostmaster.cluster.local", 5]);
});

test("a namespace name and other empty non-terminals are NODATA, not NXDOMAIN", async () => {
  const { handler: h } = handler(cluster());
  for (const name of ["default.svc.cluster.local", "svc.cluster.local", "_tcp.web.default.svc.cluster.local", "cluster.local"]) {
    const a = await ask(h, name, "A");
    assert.deepEqual([name, a.rcode, a.packet.answers?.length, a.packet.authorities?.[0]?.type], [name, "NOERROR", 0, "SOA"]);
  }
  assert.equal((await ask(h, "nosuchns.svc.cluster.local", "A")).rcode, "NXDOMAIN");
});

test("SOA at the zone apex is answered", async () => {
  const { handler: h } = handler(cluster());
  const a = await ask(h, "cluster.local", "SOA");
  assert.deepEqual([a.rcode, a.packet.answers?.[0]?.type], ["NOERROR", "SOA"]);
});

test("EDNS: the OPT record is echoed; a UDP answer over the client's size sets TC and TCP carries it whole", async () => {
  const index = new RecordIndex("cluster.local");
  index.setService(service("big", "many", { clusterIp: "None" }));
  const endpoints = Array.from({ length: 120 }, (_, i) => ({ addresses: [`10.2.${Math.floor(i / 250)}.${(i % 250) + 1}`] }));
  index.setEndpointSlice(endpointSlice("big", "s", "many", endpoints));
  const { handler: h } = handler(index);
  const plain = await ask(h, "many.big.svc.cluster.local", "A");
  assert.deepEqual([plain.flags.tc, plain.packet.answers?.length], [true, 0], "120 A records do not fit 512 octets");
  const edns = await ask(h, "many.big.svc.cluster.local", "A", { udpSize: 4096 });
  assert.deepEqual([edns.flags.tc, edns.packet.answers?.length], [false, 120], "they fit 4096");
  assert.equal(edns.packet.additionals?.[0]?.type, "OPT");
  const small = await ask(h, "many.big.svc.cluster.local", "A", { udpSize: 1024 });
  assert.deepEqual([small.flags.tc, small.packet.additionals?.[0]?.type], [true, "OPT"]);
  const tcp = await ask(h, "many.big.svc.cluster.local", "A", { proto: "tcp" });
  assert.deepEqual([tcp.flags.tc, tcp.packet.answers?.length], [false, 120]);
});

test("outside the zone without upstreams is SERVFAIL; in the zone before sync is SERVFAIL", async () => {
  assert.equal((await ask(handler(cluster()).handler, "example.com", "A")).rcode, "SERVFAIL");
  assert.equal((await ask(handler(cluster(), false).handler, "web.default.svc.cluster.local", "A")).rcode, "SERVFAIL");
});

test("a malformed query gets FORMERR with its ID; a runt is dropped", async () => {
  const { handler: h } = handler(cluster());
  const twoQuestions = Buffer.from(queryBytes("web.default.svc.cluster.local", "A", { id: 7 }));
  twoQuestions.writeUInt16BE(2, 4);
  const out = await h.handle(twoQuestions, "udp");
  assert.ok(out);
  assert.deepEqual([out.readUInt16BE(0), out[3]! & 0xf], [7, 1]);
  assert.equal(h.handle(Buffer.from([1, 2, 3]), "udp"), undefined);
});

test("metrics count queries by type and proto, responses by rcode, and time them", async () => {
  const { handler: h, registry } = handler(cluster());
  await ask(h, "web.default.svc.cluster.local", "A");
  await ask(h, "nope.default.svc.cluster.local", "SRV", { proto: "tcp" });
  const text = await registry.metrics();
  assert.match(text, /coredns_dns_requests_total\{proto="udp",type="A"\} 1/);
  assert.match(text, /coredns_dns_requests_total\{proto="tcp",type="SRV"\} 1/);
  assert.match(text, /coredns_dns_responses_total\{rcode="NXDOMAIN"\} 1/);
  assert.match(text, /coredns_dns_request_duration_seconds_count\{type="A"\} 1/);
});
