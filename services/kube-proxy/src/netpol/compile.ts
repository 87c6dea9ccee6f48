// Compiles NetworkPolicies, pods and namespaces into the nft table that enforces them on this node.
import { formatIp, mergeRanges, parseCidr, parseIp, subtractRanges, type AddressRange, type LabelSelectorObject, type networkingV1NetworkPolicy } from "@kubeplane/api";
import { shortHash } from "../chain-names.js";
import { selectorOf, type NetpolModel, type NetpolPod, type NetworkPolicy } from "./model.js";

/** kube-proxy's NetworkPolicy table (`inet` family: IPv4 and IPv6 in one table). */
export const netpolTable = "kubeplane-netpol";

type Direction = "ingress" | "egress";
type Family = 4 | 6;
type Peer = networkingV1NetworkPolicy.NetworkPolicyPeer;
type Port = networkingV1NetworkPolicy.NetworkPolicyPort;

/** A named set of the table with its declaration and elements. */
export interface NetpolSet {
  readonly name: string;
  /** `type ipv4_addr ; flags interval ;` */
  readonly spec: string;
  readonly elements: readonly string[];
}

/** The table as data: sets, per-pod chains (shared by pods with identical rules) and the pod dispatch maps. */
export interface CompiledRuleset {
  readonly sets: readonly NetpolSet[];
  /** Chain name → rules, each chain ending in a counted drop. */
  readonly chains: ReadonlyMap<string, readonly string[]>;
  /** `ingress-v4` … `egress-v6`: pod address → chain. */
  readonly maps: ReadonlyMap<string, ReadonlyMap<string, string>>;
  /** Local pods isolated per direction. */
  readonly isolated: { readonly ingress: number; readonly egress: number };
}

/** A match on one address family, or on both ("any"). */
interface Match {
  readonly family: Family | "any";
  readonly text: string;
}

const proto = (p: Port): string => (p.protocol ?? "TCP").toLowerCase();
const addrField = (family: Family, dir: Direction, own: boolean): string => `${family === 4 ? "ip" : "ip6"} ${(dir === "ingress") === own ? "daddr" : "saddr"}`;
const addrType = (family: Family): string => (family === 4 ? "ipv4_addr" : "ipv6_addr");
const key = (np: NetworkPolicy): string => `${np.metadata?.namespace ?? ""}/${np.metadata?.name ?? ""}`;

function rangeText(r: AddressRange): string {
  const bits = r.family === 4 ? 32 : 128;
  if (r.first === r.last) return formatIp(r.family, r.first);
  // A whole block prints as a CIDR (what `nft list` shows), anything else as a range.
  const size = r.last - r.first + 1n;
  const prefix = bits - (size.toString(2).length - 1);
  if ((size & (size - 1n)) === 0n && (r.first & (size - 1n)) === 0n) return `${formatIp(r.family, r.first)}/${prefix}`;
  return `${formatIp(r.family, r.first)}-${formatIp(r.family, r.last)}`;
}

function policyTypes(np: NetworkPolicy): Direction[] {
  const s = np.spec;
  const types = s?.policyTypes.length ? s.policyTypes : s?.egress.length ? ["Ingress", "Egress"] : ["Ingress"];
  return types.flatMap((t) => (t === "Ingress" ? ["ingress" as const] : t === "Egress" ? ["egress" as const] : []));
}

/**
 * Builds the desired table from the model. Pure and deterministic (same model, same output), so
 * the caller can skip the transaction when nothing changed. Kubernetes semantics: a local pod
 * selected by a policy of type Ingress (Egress) is isolated for that direction and only the
 * union of the rules of those policies is allowed; replies of allowed connections pass
 * (conntrack, in the base chain); ipBlock except is subtracted; named ports resolve on the
 * pod being protected (ingress) or on the destination pods (egress).
 */
export function compileRuleset(model: NetpolModel): CompiledRuleset {
  const byNamespace = new Map<string, NetpolPod[]>();
  for (const pod of model.pods) {
    const list = byNamespace.get(pod.namespace) ?? [];
    list.push(pod);
    byNamespace.set(pod.namespace, list);
  }
  const sets: NetpolSet[] = [];
  const podRules = { ingress: new Map<NetpolPod, string[]>(), egress: new Map<NetpolPod, string[]>() };
  const isLocal = (pod: NetpolPod): boolean => !model.nodes || model.nodes.has(pod.nodeName);

  const namespacesMatching = (sel: LabelSelectorObject): string[] => {
    const matcher = selectorOf(sel);
    return [...model.namespaces].filter(([, labels]) => matcher.matches(labels)).map(([name]) => name);
  };
  const peerRanges = (peers: readonly Peer[], namespace: string): AddressRange[] => {
    const ranges: AddressRange[] = [];
    for (const peer of peers) {
      if (peer.ipBlock) {
        const block = parseCidr(peer.ipBlock.cidr);
        if (!block) continue;
        const holes = peer.ipBlock.except.map(parseCidr).filter((c): c is NonNullable<typeof c> => c !== undefined);
        ranges.push(...subtractRanges(block, holes));
        continue;
      }
      const namespaces = peer.namespaceSelector ? namespacesMatching(peer.namespaceSelector as LabelSelectorObject) : [namespace];
      const podMatcher = peer.podSelector ? selectorOf(peer.podSelector as LabelSelectorObject) : undefined;
      for (const ns of namespaces) {
        for (const pod of byNamespace.get(ns) ?? []) {
          if (podMatcher && !podMatcher.matches(pod.labels)) continue;
          for (const ip of pod.ips) {
            const parsed = parseIp(ip);
            if (parsed) ranges.push({ family: parsed.family, first: parsed.value, last: parsed.value });
          }
        }
      }
    }
    return mergeRanges(ranges);
  };

  const policies = [...model.policies].sort((a, b) => key(a).localeCompare(key(b)));
  for (const np of policies) {
    const namespace = np.metadata?.namespace ?? "";
    const spec = np.spec;
    if (!spec) continue;
    const selector = selectorOf((spec.podSelector ?? {}) as LabelSelectorObject);
    const selected = (byNamespace.get(namespace) ?? []).filter((pod) => isLocal(pod) && selector.matches(pod.labels));
    if (selected.length === 0) continue;
    const id = shortHash(key(np));
    for (const dir of policyTypes(np)) {
      const rules = dir === "ingress" ? spec.ingress.map((r) => ({ ports: r.ports, peers: r.from })) : spec.egress.map((r) => ({ ports: r.ports, peers: r.to }));
      // Per rule: the peer matches and, for egress named ports, the destination sets; shared by every selected pod.
      const compiled = rules.map((rule, i) => {
        let peers: Match[] = [{ family: "any", text: "" }];
        if (rule.peers.length > 0) {
          peers = [];
          const ranges = peerRanges(rule.peers, namespace);
          for (const family of [4, 6] as const) {
            const elements = ranges.filter((r) => r.family === family).map(rangeText);
            if (elements.length === 0) continue;
            const name = `${dir}-${id}-${i}-v${family}`;
            sets.push({ name, spec: `type ${addrType(family)} ; flags interval ;`, elements });
            peers.push({ family, text: `${addrField(family, dir, false)} @${name}` });
          }
        }
        const egressNamed = new Map<number, Match[]>();
        if (dir === "egress") {
          rule.ports.forEach((port, j) => {
            if (port.port === undefined || /^\d+$/.test(port.port)) return;
            const matches: Match[] = [];
            for (const family of [4, 6] as const) {
              const elements = new Set<string>();
              for (const pod of model.pods) {
                for (const p of pod.namedPorts.get(port.port) ?? []) {
                  if (p.protocol.toLowerCase() !== proto(port)) continue;
                  for (const ip of pod.ips) if (parseIp(ip)?.family === family) elements.add(`${formatIp(family, parseIp(ip)!.value)} . ${proto(port)} . ${p.port}`);
                }
              }
              if (elements.size === 0) continue;
              const name = `${dir}-${id}-${i}-port${j}-v${family}`;
              sets.push({ name, spec: `type ${addrType(family)} . inet_proto . inet_service ;`, elements: [...elements].sort() });
              matches.push({ family, text: `${addrField(family, dir, false)} . meta l4proto . th dport @${name}` });
            }
            egressNamed.set(j, matches);
          });
        }
        return { rule, peers, egressNamed };
      });
      for (const pod of selected) {
        const lines = podRules[dir].get(pod) ?? [];
        podRules[dir].set(pod, lines);
        for (const { rule, peers, egressNamed } of compiled) {
          const ports = portMatches(rule.ports, dir, pod, egressNamed);
          for (const peer of peers) {
            for (const port of ports) {
              if (peer.family !== "any" && port.family !== "any" && peer.family !== port.family) continue;
              lines.push([peer.text, port.text, "return"].filter(Boolean).join(" "));
            }
          }
        }
      }
    }
  }

  const chains = new Map<string, readonly string[]>();
  const maps = new Map<string, Map<string, string>>();
  for (const dir of ["ingress", "egress"] as const) for (const family of [4, 6]) maps.set(`${dir}-v${family}`, new Map());
  for (const dir of ["ingress", "egress"] as const) {
    for (const [pod, lines] of podRules[dir]) {
      const rules = [...new Set(lines), "counter drop"];
      const chain = `${dir}-${shortHash(rules.join("\n"))}`;
      chains.set(chain, rules);
      for (const ip of pod.ips) {
        const parsed = parseIp(ip);
        if (parsed) maps.get(`${dir}-v${parsed.family}`)!.set(formatIp(parsed.family, parsed.value), chain);
      }
    }
  }
  return { sets, chains, maps, isolated: { ingress: podRules.ingress.size, egress: podRules.egress.size } };
}

/** The port matches of one rule for one protected pod; `[any ""]` when the rule has no ports. */
function portMatches(ports: readonly Port[], dir: Direction, pod: NetpolPod, egressNamed: ReadonlyMap<number, Match[]>): Match[] {
  if (ports.length === 0) return [{ family: "any", text: "" }];
  const out: Match[] = [];
  ports.forEach((port, j) => {
    const p = proto(port);
    if (port.port === undefined) out.push({ family: "any", text: `meta l4proto ${p}` });
    else if (/^\d+$/.test(port.port)) {
      const range = port.endPort !== undefined && port.endPort > Number(port.port) ? `${port.port}-${port.endPort}` : port.port;
      out.push({ family: "any", text: `meta l4proto ${p} th dport ${range}` });
    } else if (dir === "ingress") {
      // A named port on ingress is the protected pod's own container port of that name.
      for (const named of pod.namedPorts.get(port.port) ?? []) {
        if (named.protocol.toLowerCase() === p) out.push({ family: "any", text: `meta l4proto ${p} th dport ${named.port}` });
      }
    } else out.push(...(egressNamed.get(j) ?? []));
  });
  return out;
}

/** The whole table as one nft script that replaces it atomically (declare, delete, recreate: one transaction). */
export function renderRuleset(rs: CompiledRuleset, table = netpolTable): string {
  // Sorted, so the text depends only on the state, not on the order the informers listed it in.
  const byName = <T>(entries: Iterable<[string, T]>): [string, T][] => [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const out: string[] = [`table inet ${table}`, `delete table inet ${table}`, `table inet ${table} {`];
  for (const [, set] of byName(rs.sets.map((set) => [set.name, set] as [string, NetpolSet]))) {
    out.push(`\tset ${set.name} {`, `\t\t${set.spec}`);
    if (set.elements.length) out.push(`\t\telements = { ${set.elements.join(", ")} }`);
    out.push("\t}");
  }
  for (const [name, rules] of byName(rs.chains)) out.push(`\tchain ${name} {`, ...rules.map((r) => `\t\t${r}`), "\t}");
  for (const [name, entries] of rs.maps) {
    const family = name.endsWith("v4") ? 4 : 6;
    out.push(`\tmap ${name} {`, `\t\ttype ${addrType(family)} : verdict ;`);
    if (entries.size) out.push(`\t\telements = { ${byName(entries).map(([ip, chain]) => `${ip} : jump ${chain}`).join(", ")} }`);
    out.push("\t}");
  }
  out.push(
    "\tchain forward {",
    "\t\ttype filter hook forward priority filter ; policy accept ;",
    "\t\tct state established,related accept",
    // Egress first: an allowed egress chain returns here, so the destination's ingress still applies.
    "\t\tip saddr vmap @egress-v4",
    "\t\tip6 saddr vmap @egress-v6",
    "\t\tip daddr vmap @ingress-v4",
    "\t\tip6 daddr vmap @ingress-v6",
    "\t}",
    "}",
  );
  return `${out.join("\n")}\n`;
}

/** Removes the table if it exists (`--cleanup`, or enforcement turned off). */
export function renderNetpolCleanup(table = netpolTable): string {
  return `table inet ${table}\ndelete table inet ${table}\n`;
}

/** Counts for the metrics. */
export function rulesetCounts(rs: CompiledRuleset): { chains: number; rules: number; sets: number; elements: number } {
  let rules = 5;
  for (const r of rs.chains.values()) rules += r.length;
  let elements = 0;
  for (const s of rs.sets) elements += s.elements.length;
  for (const m of rs.maps.values()) elements += m.size;
  return { chains: rs.chains.size + 1, rules, sets: rs.sets.length + rs.maps.size, elements };
}
