// What NetworkPolicy enforcement reads from the cluster, reduced to what the rules need.
import { labelSelectorFromObject, type LabelSelector, type LabelSelectorObject, type networkingV1NetworkPolicy } from "@kubeplane/api";

export type NetworkPolicy = networkingV1NetworkPolicy.NetworkPolicy;

/** A pod that has an address on the pod network (not hostNetwork, not finished). */
export interface NetpolPod {
  readonly namespace: string;
  readonly name: string;
  readonly nodeName: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Its addresses (status.podIPs), IPv4 and/or IPv6. */
  readonly ips: readonly string[];
  /** Its containers' ports by name, for named ports in policies: `name` → protocol and number. */
  readonly namedPorts: ReadonlyMap<string, readonly { protocol: string; port: number }[]>;
}

/** The cluster state a ruleset is compiled from; the compiler never mutates it. */
export interface NetpolModel {
  readonly pods: readonly NetpolPod[];
  /** Namespace name → its labels. */
  readonly namespaces: ReadonlyMap<string, Readonly<Record<string, string>>>;
  readonly policies: readonly NetworkPolicy[];
  /** Which pods this node enforces for: those on these nodes; `undefined`: every pod of the cluster. */
  readonly nodes: ReadonlySet<string> | undefined;
}

interface PodLike {
  metadata?: { namespace: string; name: string; labels: Record<string, string> } | undefined;
  spec?: { nodeName: string; hostNetwork: boolean; containers: readonly { ports: readonly { name: string; containerPort: number; protocol: string }[] }[]; initContainers: readonly { ports: readonly { name: string; containerPort: number; protocol: string }[] }[] } | undefined;
  status?: { phase: string; podIp: string; podIps: readonly { ip: string }[] } | undefined;
}

/** The pod as enforcement sees it, or undefined when it has no pod-network address (hostNetwork, no IP yet, Succeeded/Failed). */
export function netpolPod(pod: PodLike): NetpolPod | undefined {
  const { metadata: meta, spec, status } = pod;
  if (!meta || !spec || !status || spec.hostNetwork) return undefined;
  if (status.phase === "Succeeded" || status.phase === "Failed") return undefined;
  const ips = status.podIps.length ? status.podIps.map((p) => p.ip).filter((ip) => ip !== "") : status.podIp ? [status.podIp] : [];
  if (ips.length === 0) return undefined;
  const namedPorts = new Map<string, { protocol: string; port: number }[]>();
  for (const c of [...spec.initContainers, ...spec.containers]) {
    for (const p of c.ports) {
      if (p.name === "") continue;
      const list = namedPorts.get(p.name) ?? [];
      list.push({ protocol: p.protocol || "TCP", port: p.containerPort });
      namedPorts.set(p.name, list);
    }
  }
  return { namespace: meta.namespace, name: meta.name, nodeName: spec.nodeName, labels: meta.labels, ips, namedPorts };
}

const selectorCache = new WeakMap<object, LabelSelector>();

/** A metav1.LabelSelector as a matcher; invalid selectors (the apiserver refuses them) match nothing. */
export function selectorOf(sel: LabelSelectorObject | undefined): LabelSelector {
  if (!sel) return labelSelectorFromObject(null);
  let cached = selectorCache.get(sel);
  if (!cached) {
    try {
      cached = labelSelectorFromObject(sel);
    } catch {
      cached = labelSelectorFromObject(null);
    }
    selectorCache.set(sel, cached);
  }
  return cached;
}
