// Unit tests for NetworkPolicy: Kubernetes JSON round trip, defaults (policyTypes, protocol) and validation field paths.
import assert from "node:assert/strict";
import { test } from "node:test";
import { decodeJson, encodeJson } from "../json-codec.js";
import { NetworkPolicy } from "../gen/kubeplane/networking/v1/network_policy.js";
import { columnsFor } from "../printers/columns.js";
import { validateObject } from "./index.js";
import { kindInfo, manifest, pairs } from "./test-support.js";

const NetworkPolicyKind = kindInfo("networking.k8s.io/v1", "NetworkPolicy");
const policy = (spec: Record<string, unknown>) =>
  manifest<NetworkPolicy>({ apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: "np", namespace: "default" }, spec });

// The example of the Kubernetes NetworkPolicy concept page, as `kubectl get -o json` prints it after defaulting.
const documented = {
  apiVersion: "networking.k8s.io/v1",
  kind: "NetworkPolicy",
  metadata: { name: "test-network-policy", namespace: "default" },
  spec: {
    podSelector: { matchLabels: { role: "db" } },
    policyTypes: ["Ingress", "Egress"],
    ingress: [
      {
        from: [
          { ipBlock: { cidr: "172.17.0.0/16", except: ["172.17.1.0/24"] } },
          { namespaceSelector: { matchLabels: { project: "myproject" } } },
          { podSelector: { matchLabels: { role: "frontend" } } },
        ],
        ports: [{ protocol: "TCP", port: 6379 }],
      },
    ],
    egress: [{ to: [{ ipBlock: { cidr: "10.0.0.0/24" } }], ports: [{ protocol: "TCP", port: 32000, endPort: 32768 }, { protocol: "UDP", port: "dns" }] }],
  },
};

test("the documented NetworkPolicy survives the Kubernetes JSON and protobuf codecs unchanged", () => {
  const decoded = decodeJson(NetworkPolicyKind, documented);
  assert.deepEqual(decoded.errors, []);
  const viaBytes = NetworkPolicy.decode(NetworkPolicy.encode(decoded.object as NetworkPolicy).finish());
  assert.deepEqual(encodeJson(NetworkPolicyKind, viaBytes), documented);
  assert.deepEqual(validateObject(NetworkPolicyKind, decoded.object!), []);
  assert.deepEqual(pairs(decodeJson(NetworkPolicyKind, { ...documented, spec: { podSelector: {}, ingres: [] } }).errors), ["spec.ingres FieldValueUnknown"]);
});

test("defaults: policyTypes Ingress, plus Egress with egress rules; protocol TCP; an absent podSelector is {}", () => {
  const deny = policy({});
  assert.deepEqual((NetworkPolicy.toJSON(deny) as { spec?: unknown }).spec, { podSelector: {}, policyTypes: ["Ingress"] });
  const egress = policy({ podSelector: {}, egress: [{ ports: [{ port: 53 }] }] });
  assert.deepEqual(egress.spec?.policyTypes, ["Ingress", "Egress"]);
  assert.equal(egress.spec?.egress[0]?.ports[0]?.protocol, "TCP");
  const explicit = policy({ podSelector: {}, policyTypes: ["Egress"] });
  assert.deepEqual(explicit.spec?.policyTypes, ["Egress"]);
});

test("ports: protocol, port numbers, endPort only after a numeric port and not below it, port names", () => {
  const np = policy({
    podSelector: {},
    ingress: [
      {
        ports: [
          { protocol: "ICMP" },
          { port: 0 },
          { port: 100, endPort: 99 },
          { port: "http", endPort: 90 },
          { endPort: 90 },
          { port: "not_a_name" },
          { port: 80, endPort: 70000 },
        ],
      },
    ],
  });
  assert.deepEqual(pairs(validateObject(NetworkPolicyKind, np)), [
    "spec.ingress[0].ports[0].protocol FieldValueNotSupported",
    "spec.ingress[0].ports[1].port FieldValueInvalid",
    "spec.ingress[0].ports[2].endPort FieldValueInvalid",
    "spec.ingress[0].ports[3].endPort FieldValueInvalid",
    "spec.ingress[0].ports[4].endPort FieldValueInvalid",
    "spec.ingress[0].ports[5].port FieldValueInvalid",
    "spec.ingress[0].ports[6].endPort FieldValueInvalid",
  ]);
});

test("peers: one is required, ipBlock stands alone, CIDRs parse and except is a strict subset", () => {
  const np = policy({
    podSelector: { matchLabels: { "bad key!": "x" } },
    egress: [
      {
        to: [
          {},
          { ipBlock: { cidr: "10.0.0.0/8" }, podSelector: {} },
          { ipBlock: { cidr: "10.0.0.0/33" } },
          { ipBlock: { cidr: "10.0.0.0/8", except: ["10.1.0.0/16", "11.0.0.0/16", "10.0.0.0/8", "fd00::/64", "x"] } },
          { ipBlock: { cidr: "" } },
          { podSelector: {}, namespaceSelector: { matchExpressions: [{ key: "team", operator: "In", values: [] }] } },
          { ipBlock: { cidr: "2001:db8::/32", except: ["2001:db8:1::/48"] } },
        ],
      },
    ],
    policyTypes: ["Egress", "Sideways"],
  });
  assert.deepEqual(pairs(validateObject(NetworkPolicyKind, np)), [
    "spec.podSelector.matchLabels FieldValueInvalid",
    "spec.egress[0].to[0] FieldValueRequired",
    "spec.egress[0].to[1] FieldValueForbidden",
    "spec.egress[0].to[2].ipBlock.cidr FieldValueInvalid",
    "spec.egress[0].to[3].ipBlock.except[1] FieldValueInvalid",
    "spec.egress[0].to[3].ipBlock.except[2] FieldValueInvalid",
    "spec.egress[0].to[3].ipBlock.except[3] FieldValueInvalid",
    "spec.egress[0].to[3].ipBlock.except[4] FieldValueInvalid",
    "spec.egress[0].to[4].ipBlock.cidr FieldValueRequired",
    "spec.egress[0].to[5].namespaceSelector.matchExpressions[0].values FieldValueRequired",
    "spec.policyTypes[1] FieldValueNotSupported",
  ]);
  const three = policy({ podSelector: {}, policyTypes: ["Ingress", "Egress", "Ingress"] });
  assert.deepEqual(pairs(validateObject(NetworkPolicyKind, three)), ["spec.policyTypes FieldValueInvalid"]);
});

test("kubectl's columns: NAME, POD-SELECTOR (<none> for every pod), AGE", () => {
  const columns = columnsFor(NetworkPolicyKind);
  assert.deepEqual(columns.headers, ["NAME", "POD-SELECTOR", "AGE"]);
  const now = new Date("2026-01-01T00:10:00Z");
  const row = (spec: Record<string, unknown>) =>
    columns.row({ metadata: { name: "np", creationTimestamp: "2026-01-01T00:00:00Z" }, spec } as Record<string, unknown>, now);
  assert.deepEqual(row({ podSelector: {} }), ["np", "<none>", "10m"]);
  assert.deepEqual(row({ podSelector: { matchLabels: { role: "db" }, matchExpressions: [{ key: "tier", operator: "In", values: ["a", "b"] }] } }), [
    "np",
    "role=db,tier in (a,b)",
    "10m",
  ]);
});
