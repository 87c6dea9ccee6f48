// Unit tests of query parsing: the question, flags, EDNS, and malformed input.
import assert from "node:assert/strict";
import { test } from "node:test";
import { queryBytes } from "./test-support.js";
import { MalformedQueryError, parseQuery } from "./wire-query.js";

test("a query's question, flags and EDNS payload size are read", () => {
  const q = parseQuery(queryBytes("Web.Default.svc.cluster.local.", "SRV", { id: 99, udpSize: 1400 }));
  assert.deepEqual(
    { id: q.id, name: q.name, qtype: q.qtype, qclass: q.qclass, rd: q.rd, edns: q.edns },
    { id: 99, name: "Web.Default.svc.cluster.local", qtype: 33, qclass: 1, rd: true, edns: { udpPayloadSize: 1400, version: 0, dnssecOk: false } },
  );
});

test("a truncated question is malformed and keeps the ID for the FORMERR", () => {
  const bytes = queryBytes("web.default.svc.cluster.local", "A", { id: 5 });
  assert.throws(() => parseQuery(bytes.subarray(0, 20)), (err: unknown) => err instanceof MalformedQueryError && err.id === 5);
});
