// Service, Endpoints and EndpointSlice validation, with the Service update rules for clusterIP.
import { isIP } from "node:net";
import { FieldPath, duplicate, forbidden, invalid, required, tooMany, type FieldError } from "../field-errors.js";
import type { EndpointSlice } from "../gen/kubeplane/discovery/v1/endpoint_slice.js";
import type { Endpoints, Service } from "../gen/kubeplane/core/v1/service.js";
import { IMMUTABLE, validateEnum, validateIp, validateLabelMap, validatePortIntOrName } from "./common.js";
import { dns1123LabelProblems, dns1123SubdomainProblems, portNumberProblems } from "./names.js";

const spec = FieldPath.root("spec");
const PROTOCOLS = ["TCP", "UDP", "SCTP"] as const;
const TYPES = ["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"] as const;
const MAX_ENDPOINTS = 1000;

/** A Service's spec. */
export function validateService(svc: Service): FieldError[] {
  const s = svc.spec;
  if (!s) return [required(spec, "")];
  const errs = validateEnum(s.type, TYPES, spec.child("type"));
  errs.push(...validateEnum(s.sessionAffinity, ["None", "ClientIP"], spec.child("sessionAffinity")));
  const external = s.type === "ExternalName";
  if (external) {
    if (s.externalName === "") errs.push(required(spec.child("externalName"), ""));
    else for (const problem of dns1123SubdomainProblems(s.externalName.replace(/\.$/, ""))) errs.push(invalid(spec.child("externalName"), s.externalName, problem));
    if (s.clusterIp !== "" && s.clusterIp !== "None") errs.push(forbidden(spec.child("clusterIP"), "may not be set for ExternalName services"));
  } else if (s.ports.length === 0 && s.clusterIp !== "None") {
    errs.push(required(spec.child("ports"), ""));
  }
  if (s.clusterIp !== "" && s.clusterIp !== "None" && !external) {
    if (isIP(s.clusterIp) === 0) errs.push(invalid(spec.child("clusterIP"), s.clusterIp, "must be empty, 'None', or a valid IP address"));
  }
  s.clusterIps.forEach((ip, i) => {
    if (ip !== "None" && isIP(ip) === 0) errs.push(invalid(spec.child("clusterIPs").index(i), ip, "must be empty, 'None', or a valid IP address"));
  });
  if (s.clusterIps.length > 0 && s.clusterIp !== "" && s.clusterIps[0] !== s.clusterIp) {
    errs.push(invalid(spec.child("clusterIPs"), s.clusterIps, "first value must match `clusterIP`"));
  }
  const multi = s.ports.length > 1;
  const names = new Set<string>();
  const keys = new Set<string>();
  s.ports.forEach((port, i) => {
    const p = spec.child("ports").index(i);
    if (multi && port.name === "") errs.push(required(p.child("name"), ""));
    if (port.name !== "") {
      for (const problem of dns1123LabelProblems(port.name)) errs.push(invalid(p.child("name"), port.name, problem));
      if (names.has(port.name)) errs.push(duplicate(p.child("name"), port.name));
      names.add(port.name);
    }
    for (const problem of portNumberProblems(port.port)) errs.push(invalid(p.child("port"), port.port, problem));
    errs.push(...validateEnum(port.protocol, PROTOCOLS, p.child("protocol")));
    if (port.targetPort !== "") errs.push(...validatePortIntOrName(port.targetPort, p.child("targetPort")));
    const key = `${port.port}/${port.protocol}`;
    if (keys.has(key)) errs.push(duplicate(p, { port: port.port, protocol: port.protocol }));
    keys.add(key);
    if (port.nodePort !== 0) {
      if (s.type !== "NodePort" && s.type !== "LoadBalancer") errs.push(forbidden(p.child("nodePort"), "may not be used when `type` is 'ClusterIP'"));
      for (const problem of portNumberProblems(port.nodePort)) errs.push(invalid(p.child("nodePort"), port.nodePort, problem));
    }
  });
  if (!external) errs.push(...validateLabelMap(s.selector, spec.child("selector")));
  s.externalIps.forEach((ip, i) => errs.push(...validateIp(ip, spec.child("externalIPs").index(i))));
  if (s.loadBalancerIp !== "") errs.push(...validateIp(s.loadBalancerIp, spec.child("loadBalancerIP")));
  if (s.externalTrafficPolicy !== "") {
    if (s.type !== "NodePort" && s.type !== "LoadBalancer") errs.push(invalid(spec.child("externalTrafficPolicy"), s.externalTrafficPolicy, "may only be set when `type` is 'NodePort' or 'LoadBalancer'"));
    else errs.push(...validateEnum(s.externalTrafficPolicy, ["Cluster", "Local"], spec.child("externalTrafficPolicy")));
  }
  errs.push(...validateEnum(s.internalTrafficPolicy, ["Cluster", "Local"], spec.child("internalTrafficPolicy"), false));
  errs.push(...validateIpFamilyFields(svc));
  const timeout = s.sessionAffinityConfig?.clientIp?.timeoutSeconds;
  if (timeout !== undefined && (timeout <= 0 || timeout > 86400)) {
    errs.push(invalid(spec.child("sessionAffinityConfig").child("clientIP").child("timeoutSeconds"), timeout, "must be greater than 0 and less than 86400"));
  }
  return errs;
}

const familyOf = (ip: string): string => (isIP(ip) === 6 ? "IPv6" : "IPv4");

/**
 * The checks of kube-apiserver's validateServiceClusterIPsRelatedFields that need no cluster
 * configuration: at most two ClusterIPs and families, of different families, matching each other
 * by index, none on an ExternalName Service.
 */
function validateIpFamilyFields(svc: Service): FieldError[] {
  const s = svc.spec!;
  const errs: FieldError[] = [];
  const policyPath = spec.child("ipFamilyPolicy");
  const familiesPath = spec.child("ipFamilies");
  const ipsPath = spec.child("clusterIPs");
  if (s.type === "ExternalName") {
    if (s.ipFamilyPolicy !== undefined) errs.push(forbidden(policyPath, "must not be set for ExternalName services"));
    if (s.ipFamilies.length > 0) errs.push(forbidden(familiesPath, "must not be set for ExternalName services"));
    return errs;
  }
  errs.push(...validateEnum(s.ipFamilyPolicy, ["SingleStack", "PreferDualStack", "RequireDualStack"], policyPath, false));
  s.ipFamilies.forEach((f, i) => errs.push(...validateEnum(f, ["IPv4", "IPv6"], familiesPath.index(i))));
  if (s.ipFamilies.length > 2) errs.push(invalid(familiesPath, s.ipFamilies, "may specify no more than 2 IP families"));
  s.ipFamilies.forEach((f, i) => {
    if (s.ipFamilies.indexOf(f) < i) errs.push(duplicate(familiesPath.index(i), f));
  });
  if (s.clusterIps.length > 2) errs.push(invalid(ipsPath, s.clusterIps, "may only hold up to 2 values"));
  if (s.clusterIps[0] === "None" && s.clusterIps.length > 1) errs.push(invalid(ipsPath, s.clusterIps, "must not have more than one value when the first is 'None'"));
  if (s.clusterIps.length === 2 && isIP(s.clusterIps[0]!) && isIP(s.clusterIps[1]!) && familyOf(s.clusterIps[0]!) === familyOf(s.clusterIps[1]!)) {
    errs.push(invalid(ipsPath.index(1), s.clusterIps[1], "may specify no more than one IP for each IP family"));
  }
  s.clusterIps.forEach((ip, i) => {
    const family = s.ipFamilies[i];
    if (ip !== "None" && isIP(ip) && family && (family === "IPv4" || family === "IPv6") && familyOf(ip) !== family) {
      errs.push(invalid(ipsPath.index(i), ip, `expected an ${family} value as indicated by \`ipFamilies[${i}]\``));
    }
  });
  // SingleStack with two families or IPs is checked by the apiserver's allocator: an update to
  // SingleStack that leaves both in place is a downgrade (the second is released), not an error.
  return errs;
}

/**
 * A Service update: clusterIP and the primary IP family may not change once set, except on a
 * change to or from ExternalName; a secondary ClusterIP may change only by being removed.
 */
export function validateServiceUpdate(svc: Service, old: Service): FieldError[] {
  const now = svc.spec;
  const was = old.spec;
  if (!now || !was) return [];
  if (now.type === "ExternalName" || was.type === "ExternalName") return [];
  // An update that leaves clusterIP empty keeps the allocated address (the apiserver copies it over).
  const errs: FieldError[] = [];
  if (was.clusterIp !== "" && now.clusterIp !== "" && now.clusterIp !== was.clusterIp) {
    errs.push(invalid(spec.child("clusterIP"), now.clusterIp, IMMUTABLE));
  }
  if (was.clusterIps[1] && now.clusterIps[1] && now.clusterIps[1] !== was.clusterIps[1]) {
    errs.push(invalid(spec.child("clusterIPs").index(1), now.clusterIps[1], "may not change once set"));
  }
  if (was.ipFamilies[0] && now.ipFamilies[0] && now.ipFamilies[0] !== was.ipFamilies[0]) {
    errs.push(invalid(spec.child("ipFamilies").index(0), now.ipFamilies[0], "may not change once set"));
  }
  return errs;
}

/** Endpoints: subsets with valid addresses and ports. */
export function validateEndpoints(ep: Endpoints): FieldError[] {
  const errs: FieldError[] = [];
  ep.subsets.forEach((subset, i) => {
    const sp = FieldPath.root("subsets").index(i);
    subset.addresses.forEach((a, j) => errs.push(...validateIp(a.ip, sp.child("addresses").index(j).child("ip"))));
    subset.notReadyAddresses.forEach((a, j) => errs.push(...validateIp(a.ip, sp.child("notReadyAddresses").index(j).child("ip"))));
    subset.ports.forEach((port, j) => {
      const pp = sp.child("ports").index(j);
      for (const problem of portNumberProblems(port.port)) errs.push(invalid(pp.child("port"), port.port, problem));
      errs.push(...validateEnum(port.protocol, PROTOCOLS, pp.child("protocol")));
      if (subset.ports.length > 1 && port.name === "") errs.push(required(pp.child("name"), ""));
    });
  });
  return errs;
}

/** An EndpointSlice: address type, at most 1000 endpoints with addresses of that type, valid ports. */
export function validateEndpointSlice(slice: EndpointSlice): FieldError[] {
  const errs = validateEnum(slice.addressType, ["IPv4", "IPv6", "FQDN"], FieldPath.root("addressType"));
  const ep = FieldPath.root("endpoints");
  if (slice.endpoints.length > MAX_ENDPOINTS) errs.push(tooMany(ep, slice.endpoints.length, MAX_ENDPOINTS));
  slice.endpoints.forEach((e, i) => {
    const p = ep.index(i).child("addresses");
    if (e.addresses.length === 0) errs.push(required(p, "must contain at least 1 address"));
    e.addresses.forEach((a, j) => {
      const bad =
        (slice.addressType === "IPv4" && isIP(a) !== 4) ||
        (slice.addressType === "IPv6" && isIP(a) !== 6) ||
        (slice.addressType === "FQDN" && dns1123SubdomainProblems(a).length > 0);
      if (bad) errs.push(invalid(p.index(j), a, `must be a valid ${slice.addressType} address`));
    });
  });
  slice.ports.forEach((port, i) => {
    const p = FieldPath.root("ports").index(i);
    if (port.port !== undefined) for (const problem of portNumberProblems(port.port)) errs.push(invalid(p.child("port"), port.port, problem));
    errs.push(...validateEnum(port.protocol, PROTOCOLS, p.child("protocol"), false));
  });
  return errs;
}
