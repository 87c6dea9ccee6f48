// Tests of a pod's DnsConfig for each dnsPolicy and with pod dnsConfig merged in.

import assert from "node:assert/strict";
import { test } from "node:test";
import { podDnsConfig } from "./dns.js";
import { parseResolvConf } from "./resolv-conf.js";
import { pod } from "./test-support.js";

const hostResolvConf = "# host\nnameserver 1.1.1.1\nnameserver 8.8.8.8 ; second\nsearch old.example.\nsearch corp.example .\noptions ndots:1 rotate\n";
const opts = { clusterDns: ["10.96.0.10"], clusterDomain: "cluster.local", hostResolvConf };

test("resolv.conf parsing keeps every nameserver, the last search line and options", () => {
  assert.deepEqual(parseResolvConf(hostResolvConf), { servers: ["1.1.1.1", "8.8.8.8"], searches: ["corp.example"], options: ["ndots:1", "rotate"] });
});

test("ClusterFirst (the default) uses cluster DNS, cluster searches then the host's, and ndots:5", () => {
  for (const dnsPolicy of ["", "ClusterFirst"]) {
    assert.deepEqual(podDnsConfig(pod({ dnsPolicy }, { namespace: "shop" }), opts), {
      servers: ["10.96.0.10"],
      searches: ["shop.svc.cluster.local", "svc.cluster.local", "cluster.local", "corp.example"],
      options: ["ndots:5"],
    });
  }
});

test("ClusterFirst falls back to Default without cluster DNS and for host-network pods", () => {
  const host = { servers: ["1.1.1.1", "8.8.8.8"], searches: ["corp.example"], options: ["ndots:1", "rotate"] };
  assert.deepEqual(podDnsConfig(pod({ dnsPolicy: "ClusterFirst" }), { ...opts, clusterDns: [] }), host);
  assert.deepEqual(podDnsConfig(pod({ dnsPolicy: "ClusterFirst", hostNetwork: true }), opts), host);
  assert.deepEqual(podDnsConfig(pod({ dnsPolicy: "ClusterFirstWithHostNet", hostNetwork: true }), opts)?.servers, ["10.96.0.10"]);
});

test("Default uses the host's resolv.conf, or localhost when the kubelet has none", () => {
  assert.deepEqual(podDnsConfig(pod({ dnsPolicy: "Default" }), opts)?.servers, ["1.1.1.1", "8.8.8.8"]);
  assert.deepEqual(podDnsConfig(pod({ dnsPolicy: "Default" }), { clusterDns: [], clusterDomain: "cluster.local" }), {
    servers: ["127.0.0.1"],
    searches: ["."],
    options: [],
  });
});

test("None uses only the pod's dnsConfig, and is undefined without one", () => {
  assert.equal(podDnsConfig(pod({ dnsPolicy: "None" }), opts), undefined);
  const dnsConfig = { nameservers: ["9.9.9.9"], searches: ["a.example"], options: [{ name: "ndots", value: "2" }, { name: "edns0" }] };
  assert.deepEqual(podDnsConfig(pod({ dnsPolicy: "None", dnsConfig }), opts), { servers: ["9.9.9.9"], searches: ["a.example"], options: ["ndots:2", "edns0"] });
});

test("dnsConfig is appended: duplicates dropped, options overridden by name, at most 3 nameservers", () => {
  const dnsConfig = { nameservers: ["10.96.0.10", "9.9.9.9", "8.8.4.4", "1.0.0.1"], searches: ["svc.cluster.local", "x.example"], options: [{ name: "ndots", value: "2" }] };
  assert.deepEqual(podDnsConfig(pod({ dnsConfig }), opts), {
    servers: ["10.96.0.10", "9.9.9.9", "8.8.4.4"],
    searches: ["default.svc.cluster.local", "svc.cluster.local", "cluster.local", "corp.example", "x.example"],
    options: ["ndots:2"],
  });
});
