// kubectl describe's body for NetworkPolicy: the pod selector, the allowed ingress and egress traffic and the policy types.
import { selectorText } from "@kubeplane/api";
import type { JsonObject } from "@kubeplane/client";
import { arr, at, num, str } from "../json-fields.js";
import type { DescribeWriter } from "./describe-writer.js";

/** One rule's ports, as `To Port: 6379/TCP` (a range as `32000-32768/TCP`). */
function describePorts(w: DescribeWriter, rule: unknown): void {
  const ports = arr(rule, "ports");
  if (ports.length === 0) {
    w.line(2, "To Port: <any> (traffic allowed to all ports)");
    return;
  }
  for (const p of ports) {
    const port = at(p, "port");
    const endPort = num(p, "endPort");
    const text = port === undefined ? "<any>" : endPort === undefined ? String(port) : `${String(port)}-${endPort}`;
    w.line(2, `To Port: ${text}/${str(p, "protocol") || "TCP"}`);
  }
}

/** One rule's peers under `From:` or `To:`, one heading per peer. */
function describePeers(w: DescribeWriter, rule: unknown, field: "from" | "to"): void {
  const heading = field === "from" ? "From" : "To";
  const peers = arr(rule, field);
  if (peers.length === 0) {
    w.line(2, field === "from" ? "From: <any> (traffic not restricted by source)" : "To: <any> (traffic not restricted by destination)");
    return;
  }
  for (const peer of peers) {
    w.line(2, `${heading}:`);
    const ns = at(peer, "namespaceSelector");
    const pods = at(peer, "podSelector");
    if (ns !== undefined) w.line(3, "NamespaceSelector:", selectorText(ns));
    if (pods !== undefined) w.line(3, "PodSelector:", selectorText(pods));
    if (at(peer, "ipBlock") !== undefined) {
      w.line(3, "IPBlock:");
      w.line(4, "CIDR:", str(peer, "ipBlock", "cidr"));
      w.line(4, "Except:", arr(peer, "ipBlock", "except").map(String).join(", "));
    }
  }
}

function describeRules(w: DescribeWriter, rules: readonly unknown[], field: "from" | "to"): void {
  if (rules.length === 0) {
    w.line(2, `<none> (Selected pods are isolated for ${field === "from" ? "ingress" : "egress"} connectivity)`);
    return;
  }
  rules.forEach((rule, i) => {
    describePorts(w, rule);
    describePeers(w, rule, field);
    if (i !== rules.length - 1) w.line(2, "----------");
  });
}

/** As kubectl: `Spec:` with PodSelector, `Allowing ingress traffic:` / `Not affecting ingress traffic`, the same for egress, Policy Types. */
export function describeNetworkPolicy(w: DescribeWriter, np: JsonObject): void {
  const selector = selectorText(at(np, "spec", "podSelector"));
  const types = arr(np, "spec", "policyTypes").map(String);
  w.line(0, "Spec:");
  w.line(1, "PodSelector:", selector === "<none>" ? "<none> (Allowing the specific traffic to all pods in this namespace)" : selector);
  for (const [type, field, direction] of [["Ingress", "from", "ingress"], ["Egress", "to", "egress"]] as const) {
    if (!types.includes(type)) {
      w.line(1, `Not affecting ${direction} traffic`);
      continue;
    }
    w.line(1, `Allowing ${direction} traffic:`);
    describeRules(w, arr(np, "spec", direction), field);
  }
  w.line(1, "Policy Types:", types.join(", "));
}
