// The Service strategy: status is the controllers'; a type change drops what the old type filled in; ClusterIP and
// NodePort reservations are written and released in the Service's own etcd transaction.
import { isDeepStrictEqual } from "node:util";
import { apiErrors, type ApiObject, type coreV1Service, type KindInfo } from "@kubeplane/api";
import type { ServiceAddresses } from "../service-addresses.js";
import { keepStatus, keepSystemMetadata, statusResetStrategy, type ReservationPlan, type Reservations, type Strategy } from "./strategy.js";

type Service = coreV1Service.Service;
type ServiceSpec = coreV1Service.ServiceSpec;

const needsClusterIp = (s: ServiceSpec): boolean => s.type !== "ExternalName";
const needsNodePorts = (s: ServiceSpec): boolean => s.type === "NodePort" || s.type === "LoadBalancer";
const needsHealthCheckNodePort = (s: ServiceSpec): boolean => s.type === "LoadBalancer" && s.externalTrafficPolicy === "Local";
// Kubernetes also counts a ClusterIP Service with externalIPs; our validation allows the policy on NodePort and LoadBalancer only.
const externallyAccessible = needsNodePorts;

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** The nodePorts as a port/protocol → nodePort bag: equal bags mean the writer did not touch them. */
function nodePortBag(s: ServiceSpec): Map<string, number> {
  return new Map(s.ports.filter((p) => p.nodePort).map((p) => [`${p.protocol}/${p.port}`, p.nodePort]));
}

/**
 * A Service changing type loses what its old type had filled in and its new type forbids, when
 * the writer left it as stored (kube-apiserver's dropTypeDependentFields): clusterIP(s) and IP
 * families on a change to ExternalName, nodePorts and the health-check port when they no longer
 * apply, externalTrafficPolicy off NodePort/LoadBalancer, the load balancer's status off
 * LoadBalancer. So an update that only changes `type` is valid; the reservations then release
 * the ClusterIP and NodePorts no longer held, in the same etcd transaction.
 */
function dropTypeDependentFields(svc: Service, old: Service): void {
  const spec = svc.spec;
  const was = old.spec;
  if (!spec || !was) return;
  if (needsClusterIp(was) && !needsClusterIp(spec)) {
    if (spec.clusterIp === was.clusterIp && sameList(spec.clusterIps, was.clusterIps)) {
      spec.clusterIp = "";
      spec.clusterIps = [];
    }
    if (sameList(spec.ipFamilies, was.ipFamilies)) spec.ipFamilies = [];
    if (spec.ipFamilyPolicy === was.ipFamilyPolicy) spec.ipFamilyPolicy = undefined;
    if (spec.internalTrafficPolicy === was.internalTrafficPolicy) spec.internalTrafficPolicy = undefined;
  }
  if (needsNodePorts(was) && !needsNodePorts(spec) && isDeepStrictEqual(nodePortBag(spec), nodePortBag(was))) {
    for (const p of spec.ports) p.nodePort = 0;
  }
  if (needsHealthCheckNodePort(was) && !needsHealthCheckNodePort(spec) && spec.healthCheckNodePort === was.healthCheckNodePort) spec.healthCheckNodePort = 0;
  if (was.type === "LoadBalancer" && spec.type !== "LoadBalancer") {
    if (spec.allocateLoadBalancerNodePorts !== undefined && spec.allocateLoadBalancerNodePorts === was.allocateLoadBalancerNodePorts) spec.allocateLoadBalancerNodePorts = undefined;
    if (spec.loadBalancerClass === was.loadBalancerClass) spec.loadBalancerClass = undefined;
  }
  if (externallyAccessible(was) && !externallyAccessible(spec) && spec.externalTrafficPolicy === was.externalTrafficPolicy) spec.externalTrafficPolicy = "";
  // De-provisioning is asynchronous, but a Service that is no LoadBalancer shows no load balancer (a copy: status is old's).
  if (spec.type !== "LoadBalancer" && svc.status?.loadBalancer) svc.status = { ...svc.status, loadBalancer: undefined };
}

const subject = (svc: ApiObject): { group: string; resource: string; kind: string; name: string } => ({ group: "", resource: "services", kind: "Service", name: svc.metadata?.name ?? "" });

/** ClusterIPs and NodePorts from the configured ranges, as reservation keys. */
function serviceReservations(addresses: ServiceAddresses): Reservations {
  return {
    plan(obj, old, exclude) {
      const plan = addresses.plan(obj as Service, old as Service | undefined, exclude);
      if (Array.isArray(plan)) throw apiErrors.invalid(subject(obj), plan);
      return plan;
    },
    held: (obj) => addresses.heldKeys(obj as Service),
    taken(info: KindInfo, obj: ApiObject, plan: ReservationPlan, key: string, exclude: Set<string>, attempt: number): void {
      const spec = (obj as Service).spec;
      const ipIndex = spec?.clusterIps.findIndex((ip) => ip && ip !== "None" && key === addresses.ips.find((r) => r.contains(ip))?.keyFor(ip)) ?? -1;
      if (plan.chosen.has(key)) {
        const port = spec?.ports.findIndex((p) => key.endsWith(`/${p.nodePort}`)) ?? -1;
        const ipField = ipIndex > 0 ? `spec.clusterIPs[${ipIndex}]` : "spec.clusterIP";
        const field = key.includes("nodeport") && port >= 0 ? `spec.ports[${port}].nodePort` : ipField;
        throw apiErrors.invalid({ group: info.group, resource: info.resource, kind: info.kind, name: obj.metadata?.name ?? "" }, [
          { type: "FieldValueInvalid", field, value: key.slice(key.lastIndexOf("/") + 1), detail: field === ipField ? "provided IP is already allocated" : "provided port is already allocated" },
        ]);
      }
      if (attempt > 50) throw apiErrors.internalError(new Error("could not allocate a free Service address after 50 attempts"));
      exclude.add(key);
      // Clear what was picked so the next plan picks again (chosen ones were kept).
      if (!key.includes("nodeport") && spec && ipIndex >= 0) {
        spec.clusterIps[ipIndex] = "";
        if (ipIndex === 0) spec.clusterIp = "";
      }
      if (key.includes("nodeport")) for (const p of spec?.ports ?? []) if (key.endsWith(`/${p.nodePort}`)) p.nodePort = 0;
    },
  };
}

/** The Service strategy over the apiserver's address ranges. */
export function serviceStrategy(addresses: ServiceAddresses): Strategy {
  return {
    ...statusResetStrategy,
    prepareForUpdate(info, obj, old) {
      keepStatus(info, obj, old);
      dropTypeDependentFields(obj as Service, old as Service);
      keepSystemMetadata(obj, old);
    },
    reservations: serviceReservations(addresses),
  };
}
