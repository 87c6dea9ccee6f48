// Unit tests of the record index: which names and records Services and EndpointSlices publish.
import assert from "node:assert/strict";
import { test } from "node:test";
import { RecordIndex } from "./record-index.js";
import { endpointSlice, service } from "./test-support.js";

const zone = "cluster.local";

test("a ClusterIP Service publishes A, SRV per named port and the ClusterIP's PTR", () => {
  const index = new RecordIndex(zone);
  index.setService(service("default", "web", { clusterIp: "10.96.0.20", ports: [{ name: "http", port: 80 }, { name: "dns", port: 53, protocol: "UDP" }] }));
  assert.deepEqual(index.lookup("web.default.svc.cluster.local")?.a, ["10.96.0.20"]);
  assert.deepEqual(index.lookup("_http._tcp.web.default.svc.cluster.local")?.srv, [{ priority: 0, weight: 100, port: 80, target: "web.default.svc.cluster.local" }]);
  assert.deepEqual(index.lookup("_dns._udp.web.default.svc.cluster.local")?.srv.map((s) => s.port), [53]);
  assert.deepEqual(index.lookup("20.0.96.10.in-addr.arpa")?.ptr, ["web.default.svc.cluster.local"]);
  assert.equal(index.lookup("_http._udp.web.default.svc.cluster.local"), undefined);
});

test("a dual-stack Service publishes AAAA and an ip6.arpa PTR", () => {
  const index = new RecordIndex(zone);
  index.setService(service("default", "v6", { clusterIps: ["10.96.0.21", "fd00::15"], clusterIp: "10.96.0.21", ports: [{ port: 80 }] }));
  const r = index.lookup("v6.default.svc.cluster.local");
  assert.deepEqual([r?.a, r?.aaaa], [["10.96.0.21"], ["fd00::15"]]);
  const ptr = "5.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa";
  assert.deepEqual(index.lookup(ptr)?.ptr, ["v6.default.svc.cluster.local"]);
});

test("a headless Service publishes one address per ready endpoint, hostnames, SRV to endpoints and PTRs", () => {
  const index = new RecordIndex(zone);
  index.setService(service("db", "pg", { clusterIp: "None", ports: [{ name: "sql", port: 5432 }] }));
  index.setEndpointSlice(
    endpointSlice("db", "pg-abc", "pg", [
      { addresses: ["10.1.0.5"], hostname: "pg-0" },
      { addresses: ["10.1.0.6"] },
      { addresses: ["10.1.0.7"], hostname: "pg-2", ready: false },
    ], [{ name: "sql", port: 15432 }]),
  );
  assert.deepEqual(index.lookup("pg.db.svc.cluster.local")?.a, ["10.1.0.5", "10.1.0.6"]);
  assert.deepEqual(index.lookup("pg-0.pg.db.svc.cluster.local")?.a, ["10.1.0.5"]);
  assert.deepEqual(index.lookup("10-1-0-6.pg.db.svc.cluster.local")?.a, ["10.1.0.6"]);
  assert.equal(index.lookup("pg-2.pg.db.svc.cluster.local"), undefined, "a not-ready endpoint is not published");
  assert.deepEqual(
    index.lookup("_sql._tcp.pg.db.svc.cluster.local")?.srv,
    [
      { priority: 0, weight: 50, port: 15432, target: "pg-0.pg.db.svc.cluster.local" },
      { priority: 0, weight: 50, port: 15432, target: "10-1-0-6.pg.db.svc.cluster.local" },
    ],
  );
  assert.deepEqual(index.lookup("5.0.1.10.in-addr.arpa")?.ptr, ["pg-0.pg.db.svc.cluster.local"]);
});

test("publishNotReadyAddresses publishes not-ready endpoints too", () => {
  const index = new RecordIndex(zone);
  index.setService(service("db", "pg", { clusterIp: "None", publishNotReadyAddresses: true }));
  index.setEndpointSlice(endpointSlice("db", "s1", "pg", [{ addresses: ["10.1.0.7"], hostname: "pg-2", ready: false }]));
  assert.deepEqual(index.lookup("pg-2.pg.db.svc.cluster.local")?.a, ["10.1.0.7"]);
});

test("an ExternalName Service publishes a CNAME and nothing else", () => {
  const index = new RecordIndex(zone);
  index.setService(service("default", "ext", { type: "ExternalName", externalName: "Example.COM." }));
  const r = index.lookup("ext.default.svc.cluster.local");
  assert.equal(r?.cname, "example.com");
  assert.equal(index.records, 1);
});

test("slices from several EndpointSlices merge, and a slice's deletion removes only its addresses", () => {
  const index = new RecordIndex(zone);
  index.setService(service("db", "pg", { clusterIp: "None" }));
  index.setEndpointSlice(endpointSlice("db", "s1", "pg", [{ addresses: ["10.1.0.5"] }]));
  index.setEndpointSlice(endpointSlice("db", "s2", "pg", [{ addresses: ["10.1.0.6"] }, { addresses: ["10.1.0.5"] }]));
  assert.deepEqual(index.lookup("pg.db.svc.cluster.local")?.a, ["10.1.0.5", "10.1.0.6"]);
  index.deleteEndpointSlice(endpointSlice("db", "s1", "pg", []));
  assert.deepEqual(index.lookup("pg.db.svc.cluster.local")?.a, ["10.1.0.6", "10.1.0.5"]);
  index.deleteEndpointSlice(endpointSlice("db", "s2", "pg", []));
  assert.deepEqual(index.lookup("pg.db.svc.cluster.local")?.a, []);
  assert.equal(index.lookup("6.0.1.10.in-addr.arpa"), undefined);
});

test("a slice that arrives before its Service is used once the Service appears", () => {
  const index = new RecordIndex(zone);
  index.setEndpointSlice(endpointSlice("db", "s1", "pg", [{ addresses: ["10.1.0.5"], hostname: "a" }]));
  assert.equal(index.lookup("a.pg.db.svc.cluster.local"), undefined);
  index.setService(service("db", "pg", { clusterIp: "None" }));
  assert.deepEqual(index.lookup("a.pg.db.svc.cluster.local")?.a, ["10.1.0.5"]);
});

test("relabelling a slice to another Service moves its endpoints", () => {
  const index = new RecordIndex(zone);
  index.setService(service("db", "one", { clusterIp: "None" }));
  index.setService(service("db", "two", { clusterIp: "None" }));
  index.setEndpointSlice(endpointSlice("db", "s1", "one", [{ addresses: ["10.1.0.5"] }]));
  index.setEndpointSlice(endpointSlice("db", "s1", "two", [{ addresses: ["10.1.0.5"] }]));
  assert.deepEqual(index.lookup("one.db.svc.cluster.local")?.a, []);
  assert.deepEqual(index.lookup("two.db.svc.cluster.local")?.a, ["10.1.0.5"]);
});

test("an address in two Services' slices has a PTR to each", () => {
  const index = new RecordIndex(zone);
  index.setService(service("db", "one", { clusterIp: "None" }));
  index.setService(service("db", "two", { clusterIp: "None" }));
  index.setEndpointSlice(endpointSlice("db", "s1", "one", [{ addresses: ["10.1.0.5"], hostname: "x" }]));
  index.setEndpointSlice(endpointSlice("db", "s2", "two", [{ addresses: ["10.1.0.5"], hostname: "x" }]));
  assert.deepEqual(index.lookup("5.0.1.10.in-addr.arpa")?.ptr, ["x.one.db.svc.cluster.local", "x.two.db.svc.cluster.local"]);
  index.deleteService(service("db", "one", {}));
  assert.deepEqual(index.lookup("5.0.1.10.in-addr.arpa")?.ptr, ["x.two.db.svc.cluster.local"]);
});

test("updates and deletions of a Service replace its names; the record count follows", () => {
  const index = new RecordIndex(zone);
  index.setService(service("default", "web", { clusterIp: "10.96.0.20", ports: [{ name: "http", port: 80 }] }));
  const before = index.records;
  assert.equal(before, 4, "A, SRV on the name, SRV on _http._tcp, PTR");
  const serial = index.serial;
  index.setService(service("default", "web", { clusterIp: "10.96.0.20", ports: [{ name: "https", port: 443 }] }));
  assert.equal(index.lookup("_http._tcp.web.default.svc.cluster.local"), undefined);
  assert.ok(index.lookup("_https._tcp.web.default.svc.cluster.local"));
  assert.ok(index.serial > serial);
  index.deleteService(service("default", "web", {}));
  assert.equal(index.lookup("web.default.svc.cluster.local"), undefined);
  assert.equal(index.records, 0);
  assert.equal(index.exists("default.svc.cluster.local"), false);
});

test("names above published names exist (empty non-terminals) until their last child goes", () => {
  const index = new RecordIndex(zone);
  index.setService(service("team-a", "web", { clusterIp: "10.96.0.20", ports: [{ name: "http", port: 80 }] }));
  assert.equal(index.exists("team-a.svc.cluster.local"), true);
  assert.equal(index.exists("_tcp.web.team-a.svc.cluster.local"), true);
  assert.equal(index.exists("svc.cluster.local"), true);
  assert.equal(index.exists("cluster.local"), true);
  assert.equal(index.exists("team-b.svc.cluster.local"), false);
  index.deleteService(service("team-a", "web", {}));
  assert.equal(index.exists("team-a.svc.cluster.local"), false);
  assert.equal(index.exists("_tcp.web.team-a.svc.cluster.local"), false);
});

test("an endpoint hostname that is not a DNS label falls back to the dashed address", () => {
  const index = new RecordIndex(zone);
  index.setService(service("db", "pg", { clusterIp: "None" }));
  index.setEndpointSlice(endpointSlice("db", "s1", "pg", [{ addresses: ["10.1.0.5"], hostname: "evil.other" }]));
  assert.equal(index.lookup("evil.other.pg.db.svc.cluster.local"), undefined);
  assert.deepEqual(index.lookup("10-1-0-5.pg.db.svc.cluster.local")?.a, ["10.1.0.5"]);
});
