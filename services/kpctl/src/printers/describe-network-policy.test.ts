// Unit test of `kpctl describe networkpolicy`, as kubectl prints it.
import assert from "node:assert/strict";
import { test } from "node:test";
import { kindFor } from "@kubeplane/api";
import { describeObject } from "./describe.js";

const kind = kindFor("networking.k8s.io/v1", "NetworkPolicy")!;
const meta = { name: "db", namespace: "shop", creationTimestamp: "2026-01-01T00:00:00Z" };

test("describe networkpolicy lists ports and peers of each rule and the policy types", () => {
  const np = {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: meta,
    spec: {
      podSelector: { matchLabels: { role: "db" } },
      policyTypes: ["Ingress", "Egress"],
      ingress: [
        {
          from: [{ ipBlock: { cidr: "172.17.0.0/16", except: ["172.17.1.0/24"] } }, { namespaceSelector: { matchLabels: { project: "p" } }, podSelector: { matchLabels: { role: "fe" } } }],
          ports: [{ protocol: "TCP", port: 6379 }],
        },
        { ports: [{ protocol: "UDP", port: 5000, endPort: 5010 }] },
      ],
      egress: [],
    },
  };
  const text = describeObject(kind, np, undefined, new Date());
  const body = text.slice(text.indexOf("Spec:"));
  assert.equal(
    body.replace(/ +/g, " "),
    [
      "Spec:",
      " PodSelector: role=db",
      " Allowing ingress traffic:",
      " To Port: 6379/TCP",
      " From:",
      " IPBlock:",
      " CIDR: 172.17.0.0/16",
      " Except: 172.17.1.0/24",
      " From:",
      " NamespaceSelector: project=p",
      " PodSelector: role=fe",
      " ----------",
      " To Port: 5000-5010/UDP",
      " From: <any> (traffic not restricted by source)",
      " Allowing egress traffic:",
      " <none> (Selected pods are isolated for egress connectivity)",
      " Policy Types: Ingress, Egress",
      "",
    ].join("\n"),
  );
});

test("describe a default-deny ingress policy: every pod, isolated for ingress, egress untouched", () => {
  const np = { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: meta, spec: { podSelector: {}, policyTypes: ["Ingress"] } };
  const text = describeObject(kind, np, undefined, new Date());
  assert.match(text, /PodSelector: +<none> \(Allowing the specific traffic to all pods in this namespace\)\n/);
  assert.match(text, /Allowing ingress traffic:\n +<none> \(Selected pods are isolated for ingress connectivity\)\n +Not affecting egress traffic\n +Policy Types: +Ingress\n$/);
});
