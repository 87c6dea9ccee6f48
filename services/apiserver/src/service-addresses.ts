// ClusterIP, NodePort and health-check node port allocation for Services: reservations are etcd keys written in the same
// transaction as the Service, so two apiserver replicas never hand out one address.
import type { coreV1Service} from "@kubeplane/api";
import { invalid, type FieldError } from "@kubeplane/api";
import type { NodePortRange, ServiceIpRange } from "@kubeplane/storage";

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

export class ServiceAddresses {
  constructor(
    readonly ips: ServiceIpRange,
    readonly ports: NodePortRange,
    /** The service CIDR as configured, for messages. */
    private readonly cidrText: string,
    private readonly random: () => number = Math.random,
  ) {}

  /** The reservation keys a stored Service holds. */
  heldKeys(svc: Service): string[] {
    const keys: string[] = [];
    if (svc.spec?.clusterIp && svc.spec.clusterIp !== "None" && this.ips.contains(svc.spec.clusterIp)) keys.push(this.ips.keyFor(svc.spec.clusterIp));
    for (const p of svc.spec?.ports ?? []) if (p.nodePort) keys.push(this.ports.keyFor(p.nodePort));
    if (svc.spec?.healthCheckNodePort && this.ports.contains(svc.spec.healthCheckNodePort)) keys.push(this.ports.keyFor(svc.spec.healthCheckNodePort));
    return [...new Set(keys)];
  }

  /**
   * Fills the Service's unset ClusterIP and NodePorts (mutating it) and says which reservations
   * the write must create and release. `exclude` holds keys found taken on an earlier attempt.
   * Returns field errors for addresses outside the ranges or a full range.
   */
  plan(svc: Service, old: Service | undefined, exclude: ReadonlySet<string>): AddressPlan | FieldError[] {
    const spec = svc.spec!;
    const errors: FieldError[] = [];
    const chosen = new Set<string>();
    const owner = Buffer.from(`${svc.metadata?.namespace}/${svc.metadata?.name}`);
    const held = new Set(old ? this.heldKeys(old) : []);

    if (old?.spec?.clusterIp && !spec.clusterIp && needsClusterIp(svc)) spec.clusterIp = old.spec.clusterIp;
    if (needsClusterIp(svc)) {
      if (spec.clusterIp) {
        if (!this.ips.contains(spec.clusterIp)) {
          errors.push(invalid("spec.clusterIP", spec.clusterIp, `provided IP is not in the valid range. The range of valid IPs is ${this.cidrText}`));
        } else if (!held.has(this.ips.keyFor(spec.clusterIp))) {
          chosen.add(this.ips.keyFor(spec.clusterIp));
        }
      } else {
        const ip = this.ips.pick(this.random, excludedValues(exclude, this.ips.prefix));
        if (!ip) errors.push(invalid("spec.clusterIP", "", `range is full: no free address in ${this.cidrText}`));
        else spec.clusterIp = ip;
      }
      if (spec.clusterIp) spec.clusterIps = [spec.clusterIp];
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
