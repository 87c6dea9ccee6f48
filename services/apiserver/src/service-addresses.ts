// ClusterIP (one per IP family), NodePort and health-check node port allocation for Services: reservations are etcd keys written in the same
// transaction as the Service, so two apiserver replicas never hand out one address.
import { isIPv4, isIPv6 } from "node:net";
import type { coreV1Service } from "@kubeplane/api";
import { invalid, type FieldError } from "@kubeplane/api";
import type { IpFamily, NodePortRange, ServiceIpRange } from "@kubeplane/storage";

type Service = coreV1Service.Service;

export interface Reservation {
  key: string;
  value: Uint8Array;
}

export interface AddressPlan {
  /** Reservation keys to create with the write (new addresses). */
  create: Reservation[];
  /** Reservation keys to delete with the write (addresses the Service no longer holds). */
  release: string[];
  /** Keys the user asked for by value: a collision on one is Invalid, not a reason to pick again. */
  chosen: Set<string>;
}

const needsClusterIp = (s: Service): boolean => s.spec?.type !== "ExternalName" && s.spec?.clusterIp !== "None";
const needsNodePorts = (s: Service): boolean =>
  s.spec?.type === "NodePort" || (s.spec?.type === "LoadBalancer" && s.spec.allocateLoadBalancerNodePorts !== false);
/** kube-proxy serves a health check on this node port so a load balancer skips nodes without local endpoints. */
const needsHealthCheckNodePort = (s: Service): boolean => s.spec?.type === "LoadBalancer" && s.spec.externalTrafficPolicy === "Local";
const familyOf = (ip: string): IpFamily | undefined => (isIPv4(ip) ? "IPv4" : isIPv6(ip) ? "IPv6" : undefined);
const otherFamily = (f: IpFamily): IpFamily => (f === "IPv4" ? "IPv6" : "IPv4");

/**
 * The Service address allocator of one cluster: ClusterIPs from one service CIDR per configured
 * family (the first is the primary: single-stack Services default to it), NodePorts and
 * health-check node ports from one range. Pure apart from `random`: reservations are etcd keys
 * the caller writes with the Service.
 */
export class ServiceAddresses {
  readonly ips: readonly ServiceIpRange[];
  private readonly byFamily: Map<IpFamily, ServiceIpRange>;

  /** `ips`: one range, or two of different families (primary first). Throws RangeError otherwise. */
  constructor(
    ips: ServiceIpRange | readonly ServiceIpRange[],
    readonly ports: NodePortRange,
    private readonly random: () => number = Math.random,
  ) {
    this.ips = Array.isArray(ips) ? ips : [ips as ServiceIpRange];
    this.byFamily = new Map(this.ips.map((r) => [r.family, r]));
    if (this.ips.length === 0 || this.ips.length > 2 || this.byFamily.size !== this.ips.length) {
      throw new RangeError("service CIDRs: one, or two of different IP families");
    }
  }

  /** True when both families are configured. */
  get dualStack(): boolean {
    return this.ips.length === 2;
  }

  /** The reservation keys a stored Service holds. */
  heldKeys(svc: Service): string[] {
    const keys: string[] = [];
    const ips = svc.spec?.clusterIps.length ? svc.spec.clusterIps : svc.spec?.clusterIp ? [svc.spec.clusterIp] : [];
    for (const ip of ips) {
      const range = ip && ip !== "None" ? this.byFamily.get(familyOf(ip)!) : undefined;
      if (range?.contains(ip)) keys.push(range.keyFor(ip));
    }
    for (const p of svc.spec?.ports ?? []) if (p.nodePort) keys.push(this.ports.keyFor(p.nodePort));
    if (svc.spec?.healthCheckNodePort && this.ports.contains(svc.spec.healthCheckNodePort)) keys.push(this.ports.keyFor(svc.spec.healthCheckNodePort));
    return [...new Set(keys)];
  }

  /**
   * Fills ipFamilyPolicy and ipFamilies as kube-apiserver's registry does for this cluster's
   * families (mutating the Service): an unset policy is RequireDualStack when two families or
   * ClusterIPs were asked for, else SingleStack (a headless Service without selector:
   * RequireDualStack, its endpoints may be of either family); families follow the ClusterIPs
   * given, then the primary; a dual-stack policy on a dual-stack cluster adds the other family.
   * Returns field errors for a family or policy this cluster cannot serve.
   */
  initIpFamilies(svc: Service, old: Service | undefined): FieldError[] {
    const spec = svc.spec!;
    if (spec.type === "ExternalName") {
      spec.ipFamilies = [];
      spec.ipFamilyPolicy = undefined;
      return [];
    }
    if (spec.clusterIp && spec.clusterIps.length === 0) spec.clusterIps = [spec.clusterIp];
    if (!spec.clusterIp && spec.clusterIps[0]) spec.clusterIp = spec.clusterIps[0];
    // A downgrade to SingleStack keeps the primary and releases the secondary ClusterIP.
    if (old && spec.ipFamilyPolicy === "SingleStack" && (old.spec?.clusterIps.length ?? 0) === 2 && spec.clusterIps.length === 2 && spec.clusterIps[1] === old.spec?.clusterIps[1]) {
      spec.clusterIps = spec.clusterIps.slice(0, 1);
      spec.ipFamilies = spec.ipFamilies.slice(0, 1);
    }
    const errors: FieldError[] = [];
    spec.clusterIps.forEach((ip, i) => {
      const family = ip && ip !== "None" ? familyOf(ip) : undefined;
      if (!family || i < spec.ipFamilies.length) return;
      if (!this.byFamily.has(family)) errors.push(invalid(`spec.clusterIPs[${i}]`, ip, `${family} is not configured on this cluster`));
      else spec.ipFamilies.push(family);
    });
    if (errors.length) return errors;
    if (spec.clusterIp === "None" && Object.keys(spec.selector).length === 0) {
      if (spec.ipFamilies.length === 0) spec.ipFamilies = [this.ips[0]!.family];
      spec.ipFamilyPolicy ??= "RequireDualStack";
      if (spec.ipFamilyPolicy !== "SingleStack" && spec.ipFamilies.length === 1) spec.ipFamilies.push(otherFamily(spec.ipFamilies[0] as IpFamily));
      return [];
    }
    spec.ipFamilyPolicy ??= spec.ipFamilies.length === 2 ? "RequireDualStack" : "SingleStack";
    if (spec.ipFamilyPolicy === "SingleStack") {
      const dual = "ipFamilyPolicy must be PreferDualStack or RequireDualStack";
      if (spec.ipFamilies.length > 1) errors.push(invalid("spec.ipFamilies", spec.ipFamilies, `when multiple IP families are specified, ${dual}`));
      if (spec.clusterIps.length > 1) errors.push(invalid("spec.clusterIPs", spec.clusterIps, `when multiple IPs are specified, ${dual}`));
    }
    if (spec.ipFamilyPolicy === "RequireDualStack" && !this.dualStack) errors.push(invalid("spec.ipFamilyPolicy", spec.ipFamilyPolicy, "this cluster is not configured for dual-stack services"));
    spec.ipFamilies.forEach((f, i) => {
      if (!this.byFamily.has(f as IpFamily)) errors.push(invalid(`spec.ipFamilies[${i}]`, f, "not configured on this cluster"));
    });
    if (errors.length) return errors;
    if (spec.ipFamilies.length === 0) spec.ipFamilies = [this.ips[0]!.family];
    if (spec.ipFamilyPolicy !== "SingleStack" && spec.ipFamilies.length === 1 && this.dualStack) spec.ipFamilies.push(otherFamily(spec.ipFamilies[0] as IpFamily));
    return [];
  }

  /**
   * Fills the Service's IP families, unset ClusterIPs (one per family) and NodePorts (mutating it)
   * and says which reservations the write must create and release. `exclude` holds keys found
   * taken on an earlier attempt. Returns field errors for addresses outside the ranges, a full
   * range, or families and policies the cluster cannot serve.
   */
  plan(svc: Service, old: Service | undefined, exclude: ReadonlySet<string>): AddressPlan | FieldError[] {
    const spec = svc.spec!;
    const errors: FieldError[] = [];
    const chosen = new Set<string>();
    const owner = Buffer.from(`${svc.metadata?.namespace}/${svc.metadata?.name}`);
    const held = new Set(old ? this.heldKeys(old) : []);

    // An update that leaves them unset keeps what was allocated (kube-apiserver's patchAllocatedValues).
    if (old?.spec && needsClusterIp(old) && needsClusterIp(svc)) {
      if (!spec.clusterIp && spec.clusterIps.length === 0) {
        spec.clusterIp = old.spec.clusterIp;
        spec.clusterIps = [...old.spec.clusterIps];
      }
      if (spec.ipFamilies.length === 0) spec.ipFamilies = [...old.spec.ipFamilies];
      spec.ipFamilyPolicy ??= old.spec.ipFamilyPolicy;
    }
    const familyErrors = this.initIpFamilies(svc, old);
    if (familyErrors.length) return familyErrors;
    if (needsClusterIp(svc)) {
      const ips: string[] = [];
      spec.ipFamilies.forEach((family, i) => {
        const range = this.byFamily.get(family as IpFamily)!;
        const field = i === 0 && spec.clusterIps.length <= 1 ? "spec.clusterIP" : `spec.clusterIPs[${i}]`;
        const given = spec.clusterIps[i] ?? "";
        if (given) {
          if (!range.contains(given)) {
            errors.push(invalid(field, given, `provided IP is not in the valid range. The range of valid IPs is ${range.cidrText}`));
          } else if (!held.has(range.keyFor(given))) {
            chosen.add(range.keyFor(given));
          }
          ips.push(given);
          return;
        }
        const ip = range.pick(this.random, excludedValues(exclude, range.prefix));
        if (!ip) errors.push(invalid(field, "", `range is full: no free address in ${range.cidrText}`));
        else ips.push(ip);
      });
      if (errors.length === 0) {
        spec.clusterIps = ips;
        spec.clusterIp = ips[0] ?? "";
      }
    } else if (spec.type === "ExternalName") {
      spec.clusterIp = "";
      spec.clusterIps = [];
    } else {
      spec.clusterIps = ["None"];
    }

    const taken = new Set<number>();
    if (needsNodePorts(svc)) {
      const oldPorts = new Map((old?.spec?.ports ?? []).filter((p) => p.nodePort).map((p) => [`${p.port}/${p.protocol}`, p.nodePort]));
      spec.ports.forEach((p, i) => {
        if (!p.nodePort) p.nodePort = oldPorts.get(`${p.port}/${p.protocol}`) ?? 0;
        if (p.nodePort) {
          if (!this.ports.contains(p.nodePort)) {
            errors.push(invalid(`spec.ports[${i}].nodePort`, p.nodePort, `provided port is not in the valid range. The range of valid ports is ${this.ports.min}-${this.ports.max}`));
          } else if (!held.has(this.ports.keyFor(p.nodePort))) {
            chosen.add(this.ports.keyFor(p.nodePort));
          }
          taken.add(p.nodePort);
        }
      });
      for (const p of spec.ports) {
        if (p.nodePort) continue;
        const excluded = new Set([...[...excludedValues(exclude, this.ports.prefix)].map(Number), ...taken]);
        const port = this.ports.pick(this.random, excluded);
        if (port === undefined) {
          errors.push(invalid("spec.ports", "", `range is full: no free node port in ${this.ports.min}-${this.ports.max}`));
          break;
        }
        p.nodePort = port;
        taken.add(port);
      }
    } else {
      for (const p of spec.ports) p.nodePort = 0;
    }
    if (needsHealthCheckNodePort(svc)) {
      if (!spec.healthCheckNodePort && old && needsHealthCheckNodePort(old)) spec.healthCheckNodePort = old.spec!.healthCheckNodePort;
      if (spec.healthCheckNodePort) {
        if (!this.ports.contains(spec.healthCheckNodePort)) {
          errors.push(invalid("spec.healthCheckNodePort", spec.healthCheckNodePort, `provided port is not in the valid range. The range of valid ports is ${this.ports.min}-${this.ports.max}`));
        } else if (taken.has(spec.healthCheckNodePort)) {
          errors.push(invalid("spec.healthCheckNodePort", spec.healthCheckNodePort, "may not duplicate a node port of the Service"));
        } else if (!held.has(this.ports.keyFor(spec.healthCheckNodePort))) {
          chosen.add(this.ports.keyFor(spec.healthCheckNodePort));
        }
      } else {
        const excluded = new Set([...[...excludedValues(exclude, this.ports.prefix)].map(Number), ...taken]);
        const port = this.ports.pick(this.random, excluded);
        if (port === undefined) errors.push(invalid("spec.healthCheckNodePort", "", `range is full: no free node port in ${this.ports.min}-${this.ports.max}`));
        else spec.healthCheckNodePort = port;
      }
    } else {
      spec.healthCheckNodePort = 0;
    }
    if (errors.length) return errors;

    const wanted = new Set(this.heldKeys(svc));
    return {
      create: [...wanted].filter((k) => !held.has(k)).map((key) => ({ key, value: owner })),
      release: [...held].filter((k) => !wanted.has(k)),
      chosen,
    };
  }
}

/** The address part of the excluded keys under one prefix. */
function excludedValues(exclude: ReadonlySet<string>, prefix: string): Set<string> {
  const out = new Set<string>();
  for (const k of exclude) if (k.startsWith(prefix)) out.add(k.slice(prefix.length));
  return out;
}
