// NetworkPolicy validation (ValidateNetworkPolicySpec): selectors, ports with endPort, peers, ipBlocks and policyTypes.
import { parseCidr } from "../cidr.js";
import { FieldPath, forbidden, invalid, notSupported, required, type FieldError } from "../field-errors.js";
import type { IPBlock, NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort } from "../gen/kubeplane/networking/v1/network_policy.js";
import { validateLabelSelector } from "./common.js";
import { ianaSvcNameProblems, portNumberProblems } from "./names.js";

const spec = FieldPath.root("spec");
const PROTOCOLS = ["TCP", "UDP", "SCTP"];
const POLICY_TYPES = ["Ingress", "Egress"];
const CIDR_PROBLEM = "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)";

/** A NetworkPolicy's spec, with Kubernetes' field paths and messages. */
export function validateNetworkPolicy(np: NetworkPolicy): FieldError[] {
  const s = np.spec;
  if (!s) return [];
  const errs = validateLabelSelector(s.podSelector, spec.child("podSelector"));
  s.ingress.forEach((rule, i) => {
    const at = spec.child("ingress").index(i);
    rule.ports.forEach((port, j) => errs.push(...validatePort(port, at.child("ports").index(j))));
    rule.from.forEach((peer, j) => errs.push(...validatePeer(peer, at.child("from").index(j))));
  });
  s.egress.forEach((rule, i) => {
    const at = spec.child("egress").index(i);
    rule.ports.forEach((port, j) => errs.push(...validatePort(port, at.child("ports").index(j))));
    rule.to.forEach((peer, j) => errs.push(...validatePeer(peer, at.child("to").index(j))));
  });
  if (s.policyTypes.length > POLICY_TYPES.length) {
    errs.push(invalid(spec.child("policyTypes"), s.policyTypes, "may not specify more than two policyTypes"));
    return errs;
  }
  s.policyTypes.forEach((t, i) => {
    if (!POLICY_TYPES.includes(t)) errs.push(notSupported(spec.child("policyTypes").index(i), t, POLICY_TYPES));
  });
  return errs;
}

function validatePort(port: NetworkPolicyPort, at: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  if (port.protocol !== undefined && !PROTOCOLS.includes(port.protocol)) errs.push(notSupported(at.child("protocol"), port.protocol, PROTOCOLS));
  const endPort = port.endPort;
  if (port.port === undefined) {
    if (endPort !== undefined) errs.push(invalid(at.child("endPort"), endPort, "may not be specified when `port` is not specified"));
  } else if (/^-?\d+$/.test(port.port)) {
    const n = Number(port.port);
    for (const problem of portNumberProblems(n)) errs.push(invalid(at.child("port"), n, problem));
    if (endPort !== undefined) {
      if (endPort < n) errs.push(invalid(at.child("endPort"), endPort, "must be greater than or equal to `port`"));
      for (const problem of portNumberProblems(endPort)) errs.push(invalid(at.child("endPort"), endPort, problem));
    }
  } else {
    if (endPort !== undefined) errs.push(invalid(at.child("endPort"), endPort, "may not be specified when `port` is non-numeric"));
    for (const problem of ianaSvcNameProblems(port.port)) errs.push(invalid(at.child("port"), port.port, problem));
  }
  return errs;
}

function validatePeer(peer: NetworkPolicyPeer, at: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  let peers = 0;
  if (peer.podSelector) {
    peers++;
    errs.push(...validateLabelSelector(peer.podSelector, at.child("podSelector")));
  }
  if (peer.namespaceSelector) {
    peers++;
    errs.push(...validateLabelSelector(peer.namespaceSelector, at.child("namespaceSelector")));
  }
  if (peer.ipBlock) {
    peers++;
    errs.push(...validateIpBlock(peer.ipBlock, at.child("ipBlock")));
  }
  if (peers === 0) errs.push(required(at, "must specify a peer"));
  else if (peers > 1 && peer.ipBlock) errs.push(forbidden(at, "may not specify both ipBlock and another peer"));
  return errs;
}

function validateIpBlock(block: IPBlock, at: FieldPath): FieldError[] {
  if (block.cidr === "") return [required(at.child("cidr"), "")];
  const cidr = parseCidr(block.cidr);
  if (!cidr) return [invalid(at.child("cidr"), block.cidr, CIDR_PROBLEM)];
  const errs: FieldError[] = [];
  block.except.forEach((text, i) => {
    const except = parseCidr(text);
    if (!except) errs.push(invalid(at.child("except").index(i), text, CIDR_PROBLEM));
    else if (except.family !== cidr.family || except.first < cidr.first || except.first > cidr.last || except.prefix <= cidr.prefix) {
      errs.push(invalid(at.child("except").index(i), text, "must be a strict subset of `cidr`"));
    }
  });
  return errs;
}
