// Unit tests of NetworkPolicy rule compilation: isolation, rule union, peers, ipBlock except, ports and named ports, IPv6, dedup.
import assert from "node:assert/strict";
import { test } from "node:test";
import { networkingV1NetworkPolicy } from "@kubeplane/api";
import { compileRuleset, renderRuleset, type CompiledRuleset } from "./compile.js";
import type { NetpolModel, NetpolPod } from "./model.js";

const pod = (name: string, ip: string | string[], labels: Record<string, string>, over: Partial<NetpolPod> = {}): NetpolPod => ({
  namespace: "shop",
  name,
  nodeName: "node-a",
  labels,
  ips: Array.isArray(ip) ? ip : [ip],
  namedPorts: new Map(),
  ...over,
});
const policy = (name: string, spec: Record<string, unknown>, namespace = "shop") =>
  networkingV1NetworkPolicy.NetworkPolicy.fromJSON({ apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name, namespace }, spec });

const web = pod("web", "10.244.0.2", { app: "web" }, { namedPorts: new Map([["http", [{ protocol: "TCP", port: 8080 }]]]) });
const db = pod("db", ["10.244.0.3", "fd00::3"], { app: "db" });
const remote = pod("remote", "10.244.1.2", { app: "web" }, { nodeName: "node-b" });
const other = pod("tool", "10.244.0.9", { app: "tool" }, { namespace: "ops" });

function model(policies: ReturnType<typeof policy>[], over: Partial<NetpolModel> = {}): NetpolModel {
  return {
    pods: [web, db, remote, other],
    namespaces: new Map<string, Record<string, string>>([
      ["shop", { "kubernetes.io/metadata.name": "shop" }],
      ["ops", { "kubernetes.io/metadata.name": "ops", team: "ops" }],
    ]),
    policies,
    nodes: new Set(["node-a"]),
    ...over,
  };
}

/** The rules of the chain `address` jumps to in `map`. */
function chainOf(rs: CompiledRuleset, map: string, address: string): readonly string[] | undefined {
  const chain = rs.maps.get(map)?.get(address);
  return chain ? rs.chains.get(chain) : undefined;
}
const setOf = (rs: CompiledRuleset, name: string): readonly string[] | undefined => rs.sets.find((s) => s.name === name)?.elements;

test("without policies nothing is isolated: empty maps, only the base chain", () => {
  const rs = compileRuleset(model([]));
  assert.equal(rs.chains.size, 0);
  assert.deepEqual([...rs.maps.values()].map((m) => m.size), [0, 0, 0, 0]);
  assert.deepEqual(rs.isolated, { ingress: 0, egress: 0 });
});

test("default deny ingress isolates every local pod of the namespace (both families), not remote or other namespaces' pods", () => {
  const rs = compileRuleset(model([policy("deny", { podSelector: {}, policyTypes: ["Ingress"] })]));
  assert.deepEqual(chainOf(rs, "ingress-v4", "10.244.0.2"), ["counter drop"]);
  assert.deepEqual(chainOf(rs, "ingress-v4", "10.244.0.3"), ["counter drop"]);
  assert.deepEqual(chainOf(rs, "ingress-v6", "fd00:0:0:0:0:0:0:3"), ["counter drop"]);
  assert.equal(rs.maps.get("ingress-v4")?.has("10.244.1.2"), false, "the remote pod is its own node's business");
  assert.equal(rs.maps.get("ingress-v4")?.has("10.244.0.9"), false);
  assert.equal(rs.maps.get("egress-v4")?.size, 0);
  // Pods with the same rules share one chain.
  assert.equal(rs.chains.size, 1);
});

test("allowed traffic is the union of every policy selecting the pod; a pod selector peer is its namespace's pods, wherever they run", () => {
  const rs = compileRuleset(
    model([
      policy("deny", { podSelector: {} }),
      policy("web-to-db", { podSelector: { matchLabels: { app: "db" } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: "web" } } }], ports: [{ protocol: "TCP", port: 5432 }] }] }),
      policy("ops-to-db", { podSelector: { matchLabels: { app: "db" } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: "ops" } } }] }] }),
    ]),
  );
  const webToDb = rs.sets.find((s) => s.name.startsWith("ingress-") && s.elements.includes("10.244.0.2"));
  assert.deepEqual(webToDb?.elements, ["10.244.0.2", "10.244.1.2"]);
  const opsSet = rs.sets.find((s) => s.elements.includes("10.244.0.9"));
  assert.deepEqual(opsSet?.elements, ["10.244.0.9"]);
  assert.deepEqual(chainOf(rs, "ingress-v4", "10.244.0.3"), [
    `ip saddr @${opsSet!.name} return`,
    `ip saddr @${webToDb!.name} meta l4proto tcp th dport 5432 return`,
    "counter drop",
  ]);
  // The web pod is selected only by the default deny.
  assert.deepEqual(chainOf(rs, "ingress-v4", "10.244.0.2"), ["counter drop"]);
});

test("ipBlock except is cut out of the block; blocks print as CIDRs, other pieces as ranges; IPv6 blocks get their own set", () => {
  const rs = compileRuleset(
    model([
      policy("ext", {
        podSelector: { matchLabels: { app: "web" } },
        ingress: [{ from: [{ ipBlock: { cidr: "192.168.0.0/16", except: ["192.168.1.0/24", "192.168.0.7/32"] } }, { ipBlock: { cidr: "2001:db8::/32" } }] }],
      }),
    ]),
  );
  const v4 = rs.sets.find((s) => s.name.endsWith("-0-v4"))!;
  assert.deepEqual(v4.elements, ["192.168.0.0-192.168.0.6", "192.168.0.8-192.168.0.255", "192.168.2.0-192.168.255.255"]);
  assert.equal(v4.spec, "type ipv4_addr ; flags interval ;");
  const v6 = rs.sets.find((s) => s.name.endsWith("-0-v6"))!;
  assert.deepEqual(v6.elements, ["2001:db8:0:0:0:0:0:0/32"]);
  assert.deepEqual(chainOf(rs, "ingress-v4", "10.244.0.2"), [`ip saddr @${v4.name} return`, `ip6 saddr @${v6.name} return`, "counter drop"]);
});

test("ports: a range with endPort, a protocol without a port, an ingress named port resolved on the protected pod", () => {
  const rs = compileRuleset(
    model([
      policy("ports", {
        podSelector: {},
        ingress: [{ ports: [{ protocol: "TCP", port: 30000, endPort: 30100 }, { protocol: "UDP" }, { protocol: "TCP", port: "http" }] }],
      }),
    ]),
  );
  assert.deepEqual(chainOf(rs, "ingress-v4", "10.244.0.2"), [
    "meta l4proto tcp th dport 30000-30100 return",
    "meta l4proto udp return",
    "meta l4proto tcp th dport 8080 return",
    "counter drop",
  ]);
  // db has no port named http: that entry allows nothing there.
  assert.deepEqual(chainOf(rs, "ingress-v4", "10.244.0.3"), ["meta l4proto tcp th dport 30000-30100 return", "meta l4proto udp return", "counter drop"]);
});

test("egress: the destination is matched; a named port resolves on the destination pods; DNS by port to anywhere", () => {
  const rs = compileRuleset(
    model([
      policy("egress", {
        podSelector: { matchLabels: { app: "db" } },
        policyTypes: ["Egress"],
        egress: [{ to: [{ podSelector: { matchLabels: { app: "web" } } }], ports: [{ protocol: "TCP", port: "http" }] }, { ports: [{ protocol: "UDP", port: 53 }] }],
      }),
    ]),
  );
  const peers = rs.sets.find((s) => s.name.endsWith("-0-v4") && !s.name.includes("port"))!;
  const named = rs.sets.find((s) => s.name.includes("-0-port0-v4"))!;
  assert.deepEqual(named.elements, ["10.244.0.2 . tcp . 8080"]);
  assert.deepEqual(chainOf(rs, "egress-v4", "10.244.0.3"), [`ip daddr @${peers.name} ip daddr . meta l4proto . th dport @${named.name} return`, "meta l4proto udp th dport 53 return", "counter drop"]);
  assert.equal(rs.maps.get("ingress-v4")?.size, 0, "an Egress-only policy does not isolate for ingress");
});

test("a peer that selects no pod allows nothing (no rule), but still isolates", () => {
  const rs = compileRuleset(model([policy("none", { podSelector: { matchLabels: { app: "web" } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: "ghost" } } }] }] })]));
  assert.deepEqual(chainOf(rs, "ingress-v4", "10.244.0.2"), ["counter drop"]);
});

test("with every node enforced (make up: one kube-proxy for two nodes), remote pods are isolated too", () => {
  const rs = compileRuleset(model([policy("deny", { podSelector: {} })], { nodes: undefined }));
  assert.ok(rs.maps.get("ingress-v4")?.has("10.244.1.2"));
});

test("the script replaces the table in one transaction and is stable for the same model", () => {
  const m = model([policy("deny", { podSelector: {} }), policy("allow", { podSelector: { matchLabels: { app: "db" } }, ingress: [{ from: [{ podSelector: {} }] }] })]);
  const script = renderRuleset(compileRuleset(m));
  assert.equal(script, renderRuleset(compileRuleset(m)));
  const lines = script.split("\n");
  assert.deepEqual(lines.slice(0, 3), ["table inet kubeplane-netpol", "delete table inet kubeplane-netpol", "table inet kubeplane-netpol {"]);
  assert.match(script, /\tchain forward {\n\t\ttype filter hook forward priority filter ; policy accept ;\n\t\tct state established,related accept\n\t\tip saddr vmap @egress-v4\n/);
  assert.match(script, /\tmap ingress-v4 {\n\t\ttype ipv4_addr : verdict ;\n\t\telements = { 10\.244\.0\.2 : jump ingress-[A-Z2-7]{8}, 10\.244\.0\.3 : jump ingress-[A-Z2-7]{8} }\n\t}/);
});
