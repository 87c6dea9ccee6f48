// Unit test of QueryCounts: the query path's plain counts appear in the coredns_dns_* metrics whenever they are read.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Registry } from "prom-client";
import { dnsMetrics } from "./metrics.js";
import { Rcode, RRType } from "./resource-record.js";

test("counts kept in plain numbers are in the metrics at every read, and only once", async () => {
  const registry = new Registry();
  const metrics = dnsMetrics(registry);
  const { queries } = metrics;
  queries.request("udp", RRType.A);
  queries.request("udp", RRType.A);
  queries.request("tcp", RRType.A);
  queries.request("udp", -1);
  queries.response(Rcode.NOERROR, RRType.A, 0.0003);
  queries.response(Rcode.NOERROR, RRType.A, 0.003);
  queries.response(Rcode.FORMERR, -1, undefined);
  let text = await registry.metrics();
  assert.match(text, /coredns_dns_requests_total\{proto="udp",type="A"\} 2\n/);
  assert.match(text, /coredns_dns_requests_total\{proto="tcp",type="A"\} 1\n/);
  assert.match(text, /coredns_dns_requests_total\{proto="udp",type="other"\} 1\n/);
  assert.match(text, /coredns_dns_responses_total\{rcode="NOERROR"\} 2\n/);
  assert.match(text, /coredns_dns_responses_total\{rcode="FORMERR"\} 1\n/);
  assert.match(text, /coredns_dns_request_duration_seconds_bucket\{le="0.0005",type="A"\} 1\n/);
  assert.match(text, /coredns_dns_request_duration_seconds_bucket\{le="0.004",type="A"\} 2\n/);
  assert.match(text, /coredns_dns_request_duration_seconds_count\{type="A"\} 2\n/);
  assert.doesNotMatch(text, /request_duration_seconds_count\{type="(?!A")/, "an unreadable query has no duration");
  // A second read adds nothing; new counts add to the old.
  queries.request("udp", RRType.A);
  text = await registry.metrics();
  assert.match(text, /coredns_dns_requests_total\{proto="udp",type="A"\} 3\n/);
  assert.match(text, /coredns_dns_responses_total\{rcode="NOERROR"\} 2\n/);
});
