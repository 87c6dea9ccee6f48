// Unit tests of the answer cache: question keys, hits answering the new query's id, and invalidation by the index.
import assert from "node:assert/strict";
import { test } from "node:test";
import dnsPacket from "dns-packet";
import { Registry } from "prom-client";
import { createLogger } from "@kubeplane/service-kit";
import { Forwarder } from "./forwarder.js";
import { dnsMetrics } from "./metrics.js";
import { QueryHandler } from "./query-handler.js";
import { RecordIndex } from "./record-index.js";
import { questionKey } from "./response-cache.js";
import { queryBytes, service } from "./test-support.js";

function handlerFor(index: RecordIndex): QueryHandler {
  const metrics = dnsMetrics(new Registry());
  const forwarder = new Forwarder([], 1000, metrics, createLogger("dns-test", "silent"));
  return new QueryHandler({ index, settings: { ttl: 30, negativeTtl: 5 }, forwarder, metrics, isSynced: () => true });
}

function addresses(response: unknown): string[] {
  const packet = dnsPacket.decode(response as Buffer);
  return (packet.answers ?? []).map((a) => String((a as { data: unknown }).data));
}

test("the key holds the question's bytes and size limit; other messages take the full path", () => {
  const plain = questionKey(queryBytes("web.default.svc.cluster.local", "A"), false)!;
  assert.equal(plain.qtype, 1);
  assert.equal(plain.rd, true);
  assert.notEqual(questionKey(queryBytes("Web.default.svc.cluster.local", "A"), false)!.key, plain.key, "the case is echoed, so it is part of the key");
  assert.notEqual(questionKey(queryBytes("web.default.svc.cluster.local", "A", { udpSize: 1232 }), false)!.key, plain.key);
  assert.notEqual(questionKey(queryBytes("web.default.svc.cluster.local", "A"), true)!.key, plain.key, "TCP has no size limit");
  const response = dnsPacket.encode({ type: "response", id: 1, questions: [{ type: "A", name: "x", class: "IN" }] });
  assert.equal(questionKey(response, false), undefined);
  assert.equal(questionKey(queryBytes("web.default.svc.cluster.local", "A").subarray(0, 20), false), undefined);
});

test("a cached answer carries the new query's id and RD bit, and equals the uncached one", () => {
  const index = new RecordIndex("cluster.local");
  index.setService(service("default", "web", { clusterIp: "10.96.0.20", ports: [{ name: "http", port: 80 }] }));
  const h = handlerFor(index);
  const first = h.handle(queryBytes("web.default.svc.cluster.local", "A", { id: 1 }), "udp") as Buffer;
  const again = queryBytes("web.default.svc.cluster.local", "A", { id: 2 });
  again[2] = again[2]! & 0xfe; // RD off
  const second = h.handle(again, "udp") as Buffer;
  assert.equal(second.readUInt16BE(0), 2);
  assert.equal(second[2]! & 0x01, 0, "RD copied from the query");
  assert.deepEqual(second.subarray(4), first.subarray(4));
  assert.equal(first.readUInt16BE(0), 1, "the first response is not changed by the hit");
});

test("a change to the index is answered at once: the cache does not outlive the index's generation", () => {
  const index = new RecordIndex("cluster.local");
  index.setService(service("default", "web", { clusterIp: "10.96.0.20", ports: [{ name: "http", port: 80 }] }));
  const h = handlerFor(index);
  const ask = (): unknown => h.handle(queryBytes("web.default.svc.cluster.local", "A"), "udp");
  assert.deepEqual(addresses(ask()), ["10.96.0.20"]);
  assert.deepEqual(addresses(ask()), ["10.96.0.20"]);
  index.setService(service("default", "web", { clusterIp: "10.96.0.21", ports: [{ name: "http", port: 80 }] }));
  assert.deepEqual(addresses(ask()), ["10.96.0.21"]);
  index.deleteService(service("default", "web", { clusterIp: "10.96.0.21", ports: [{ name: "http", port: 80 }] }));
  assert.equal((ask() as Buffer)[3]! & 0x0f, 3, "NXDOMAIN");
});
