// Builds the desired nftables state of kube-proxy's table from the proxy model (upstream's nftables layout).
import { affinitySet, clusterChain, endpointChain, externalChain, localChain, serviceChain } from "./chain-names.js";
import type { ProxyEndpoint } from "./endpoints.js";
import { NftStateBuilder, type NftChain, type NftState } from "./nft-state.js";
import type { ServicePortInfo } from "./service-port.js";

/** The table kube-proxy owns, one per IP family (`ip kube-proxy`, `ip6 kube-proxy`): nothing else writes to it, and kube-proxy writes nowhere else. */
export const tableName = "kube-proxy";

/** The nftables family of a table: `ip` programs IPv4, `ip6` IPv6 (upstream runs one proxier per family too). */
export type NftFamily = "ip" | "ip6";

/** What shapes the rules besides the Services themselves. */
export interface RulesetOptions {
  /** The table's family (default ip): every address in the other options is of this family. */
  family?: NftFamily;
  /** CIDRs whose local addresses accept NodePorts; empty: every local address but loopback. */
  nodeportAddresses: readonly string[];
  /** Pod CIDR: ClusterIP traffic from outside it is masqueraded; "" to masquerade only hairpin and external traffic. */
  clusterCidr: string;
  /** The bit of the packet mark that flags masquerading. */
  masqueradeBit: number;
}

const nodePortKey = "type inet_proto . inet_service : verdict ;";

/** What differs between the ip and ip6 tables' rules. */
interface FamilyWords {
  /** The address match keyword: `ip` or `ip6`. */
  ip: string;
  /** The address type of maps and sets. */
  addr: string;
  loopback: string;
  rejectOther: string;
  /** `ip:port` as a dnat target (IPv6 in brackets). */
  target(ip: string, port: number): string;
}

const families: Record<NftFamily, FamilyWords> = {
  ip: { ip: "ip", addr: "ipv4_addr", loopback: "127.0.0.0/8", rejectOther: "reject with icmp type port-unreachable", target: (ip, port) => `${ip}:${port}` },
  ip6: { ip: "ip6", addr: "ipv6_addr", loopback: "::1", rejectOther: "reject with icmpv6 type port-unreachable", target: (ip, port) => `[${ip}]:${port}` },
};

/** The words of `opts`' family. */
const wordsOf = (opts: RulesetOptions): FamilyWords => families[opts.family ?? "ip"];

/** The chains, maps and rules every kube-proxy table has, whatever the Services. */
function addInfrastructure(b: NftStateBuilder, opts: RulesetOptions): void {
  const mark = `0x${(1 << opts.masqueradeBit >>> 0).toString(16)}`;
  const w = wordsOf(opts);
  const serviceKey = `type ${w.addr} . inet_proto . inet_service : verdict ;`;
  b.map("service-ips", "map", `${serviceKey} comment "ClusterIP, ExternalIP and LoadBalancer IP traffic" ;`);
  b.map("service-nodeports", "map", `${nodePortKey} comment "NodePort traffic" ;`);
  b.map("no-endpoint-services", "map", `${serviceKey} comment "vmap to reject packets to services with no endpoints" ;`);
  b.map("no-endpoint-nodeports", "map", `${nodePortKey} comment "vmap to reject packets to service nodeports with no endpoints" ;`);
  b.map("cluster-ips", "set", `type ${w.addr} ; comment "Active ClusterIPs" ;`);
  let nodePortMatch = `fib daddr type local ${w.ip} daddr != ${w.loopback}`;
  if (opts.nodeportAddresses.length) {
    b.map("nodeport-ips", "set", `type ${w.addr} ; flags interval ; comment "CIDRs whose local addresses accept NodePorts" ;`);
    for (const cidr of opts.nodeportAddresses) b.element("nodeport-ips", cidr);
    nodePortMatch = `fib daddr type local ${w.ip} daddr @nodeport-ips`;
  }
  // Filter hooks run before DNAT (-110 < -100), so they still see the Service's address.
  b.chain("filter-input", ["ct state new jump nodeport-endpoints-check", "ct state new jump service-endpoints-check"], "type filter hook input priority -110 ;");
  b.chain("filter-forward", ["ct state new jump service-endpoints-check", "ct state new jump cluster-ips-check"], "type filter hook forward priority -110 ;");
  b.chain("filter-output", ["ct state new jump nodeport-endpoints-check", "ct state new jump service-endpoints-check"], "type filter hook output priority -110 ;");
  // nft 1.0.6 refuses the `dstnat` keyword on the output hook: numeric priorities everywhere.
  b.chain("nat-prerouting", ["jump services"], "type nat hook prerouting priority -100 ;");
  b.chain("nat-output", ["jump services"], "type nat hook output priority -100 ;");
  b.chain("nat-postrouting", ["jump masquerading"], "type nat hook postrouting priority 100 ;");
  b.chain("mark-for-masquerade", [`meta mark set meta mark or ${mark}`]);
  b.chain("masquerading", [`meta mark & ${mark} == 0 return`, `meta mark set meta mark xor ${mark}`, "masquerade fully-random"]);
  b.chain("services", [`${w.ip} daddr . meta l4proto . th dport vmap @service-ips`, `${nodePortMatch} meta l4proto . th dport vmap @service-nodeports`]);
  b.chain("service-endpoints-check", [`${w.ip} daddr . meta l4proto . th dport vmap @no-endpoint-services`]);
  // Forwarded traffic still addressed to a ClusterIP matched no port of it (DNAT happened before forward).
  b.chain("cluster-ips-check", [`${w.ip} daddr @cluster-ips goto reject-chain`]);
  b.chain("nodeport-endpoints-check", [`${nodePortMatch} meta l4proto . th dport vmap @no-endpoint-nodeports`]);
  // A refused connection, not a black hole: TCP gets a reset, everything else ICMP port-unreachable.
  b.chain("reject-chain", ["meta l4proto tcp reject with tcp reset", w.rejectOther]);
}

/** Everything one Service port adds to the table; reused across syncs while the port is unchanged. */
export interface ServicePortFragment {
  readonly chains: readonly NftChain[];
  readonly sets: ReadonlyArray<{ name: string; spec: string }>;
  readonly elements: ReadonlyArray<readonly [map: string, key: string, value: string]>;
}

/** Rules that pick one of `endpoints` (a client with affinity first goes back to its endpoint). */
function balance(sp: ServicePortInfo, endpoints: readonly ProxyEndpoint[], w: FamilyWords): string[] {
  const rules: string[] = [];
  if (sp.affinitySeconds) for (const ep of endpoints) rules.push(`${w.ip} saddr @${affinitySet(sp, ep)} goto ${endpointChain(sp, ep)}`);
  const targets = endpoints.map((ep, i) => `${i} : goto ${endpointChain(sp, ep)}`);
  rules.push(`numgen random mod ${endpoints.length} vmap { ${targets.join(" , ")} }`);
  return rules;
}

/**
 * Rules and map elements of one Service port. Traffic policies as upstream's nftables mode:
 * ClusterIP traffic (the `service-…` chain) goes to every endpoint, or with internalTrafficPolicy
 * Local to this node's only; external traffic (NodePort, external and LoadBalancer IPs: the
 * `external-…` chain) is masqueraded and goes to every endpoint, or with externalTrafficPolicy
 * Local goes unmasqueraded to this node's endpoints (`local-…`), except traffic from pods and
 * from the node itself, which goes to every endpoint as if it were cluster traffic. A policy
 * with no local endpoint drops (the Service has endpoints elsewhere); no endpoint at all rejects.
 */
export function servicePortFragment(sp: ServicePortInfo, opts: RulesetOptions): ServicePortFragment {
  const w = wordsOf(opts);
  const chains: NftChain[] = [];
  const sets: Array<{ name: string; spec: string }> = [];
  const elements: Array<readonly [string, string, string]> = [];
  const key = (ip: string): string => `${ip} . ${sp.protocol} . ${sp.port}`;
  const nodePortKeyOf = `${sp.protocol} . ${sp.nodePort}`;
  elements.push(["cluster-ips", sp.clusterIp, ""]);
  const internalEndpoints = sp.internalLocal ? sp.localEndpoints : sp.endpoints;
  const externalEndpoints = sp.externalLocal ? sp.localEndpoints : sp.endpoints;
  const hasExternalAccess = sp.nodePort > 0 || sp.externalIps.length > 0;
  // Upstream: a Local policy without local endpoints drops (other nodes serve); no endpoints at all rejects.
  const internalMiss = sp.internalLocal && sp.endpoints.length ? "drop" : "goto reject-chain";
  const externalMiss = sp.externalLocal && sp.endpoints.length ? "drop" : "goto reject-chain";

  // Endpoint chains: one per endpoint any chain of this port can pick.
  const used = new Map<string, ProxyEndpoint>();
  const usedBy = (eps: readonly ProxyEndpoint[]): void => {
    for (const ep of eps) used.set(`${ep.ip}:${ep.port}`, ep);
  };
  usedBy(internalEndpoints);
  if (hasExternalAccess) usedBy(externalEndpoints);
  // Pod and node traffic through an external address under externalTrafficPolicy Local goes to every endpoint.
  const clusterWide = hasExternalAccess && (!sp.externalLocal || externalEndpoints.length > 0);
  if (clusterWide) usedBy(sp.endpoints);
  const endpointChains: NftChain[] = [];
  for (const ep of used.values()) {
    const epRules = [`${w.ip} saddr ${ep.ip} jump mark-for-masquerade`];
    if (sp.affinitySeconds) {
      const set = affinitySet(sp, ep);
      sets.push({ name: set, spec: `type ${w.addr} ; flags dynamic,timeout ; timeout ${sp.affinitySeconds}s ;` });
      epRules.push(`update @${set} { ${w.ip} saddr }`);
    }
    // nft 1.0.6 needs the protocol pinned before a dnat with a port.
    epRules.push(`meta l4proto ${sp.protocol} dnat to ${w.target(ep.ip, ep.port)}`);
    endpointChains.push({ name: endpointChain(sp, ep), rules: epRules });
  }

  const svcChain = serviceChain(sp);
  if (internalEndpoints.length) {
    const rules: string[] = [];
    if (opts.clusterCidr) rules.push(`${w.ip} daddr ${sp.clusterIp} ${sp.protocol} dport ${sp.port} ${w.ip} saddr != ${opts.clusterCidr} jump mark-for-masquerade`);
    chains.push({ name: svcChain, rules: [...rules, ...balance(sp, internalEndpoints, w)] });
    elements.push(["service-ips", key(sp.clusterIp), `goto ${svcChain}`]);
  } else {
    elements.push(["no-endpoint-services", key(sp.clusterIp), internalMiss]);
  }
  chains.push(...endpointChains);
  if (!hasExternalAccess) return { chains, sets, elements };
  if (!externalEndpoints.length) {
    for (const ip of sp.externalIps) elements.push(["no-endpoint-services", key(ip), externalMiss]);
    if (sp.nodePort) elements.push(["no-endpoint-nodeports", nodePortKeyOf, externalMiss]);
    return { chains, sets, elements };
  }
  // Every endpoint: the service chain unless that one is local-only.
  let allChain = svcChain;
  if (sp.internalLocal) {
    allChain = clusterChain(sp);
    chains.push({ name: allChain, rules: balance(sp, sp.endpoints, w) });
  }
  const extChain = externalChain(sp);
  if (sp.externalLocal) {
    const local = localChain(sp);
    chains.push({ name: local, rules: balance(sp, sp.localEndpoints, w) });
    const rules: string[] = [];
    if (opts.clusterCidr) rules.push(`${w.ip} saddr ${opts.clusterCidr} goto ${allChain}`);
    rules.push("fib saddr type local jump mark-for-masquerade", `fib saddr type local goto ${allChain}`, `goto ${local}`);
    chains.push({ name: extChain, rules });
  } else {
    chains.push({ name: extChain, rules: ["jump mark-for-masquerade", `goto ${allChain}`] });
  }
  for (const ip of sp.externalIps) elements.push(["service-ips", key(ip), `goto ${extChain}`]);
  if (sp.nodePort) elements.push(["service-nodeports", nodePortKeyOf, `goto ${extChain}`]);
  return { chains, sets, elements };
}

/**
 * Remembers each Service port's fragment by a fingerprint of the port, so a sync that changes one
 * endpoint rebuilds one fragment, and unchanged chains stay the same objects (the diff then skips
 * them by identity). Not shared between rulesets of different options.
 */
export class FragmentCache {
  private entries = new Map<string, { fingerprint: string; fragment: ServicePortFragment }>();

  fragment(sp: ServicePortInfo, opts: RulesetOptions): ServicePortFragment {
    const fingerprint = JSON.stringify(sp);
    const hit = this.entries.get(sp.id);
    if (hit?.fingerprint === fingerprint) return hit.fragment;
    const fragment = servicePortFragment(sp, opts);
    this.entries.set(sp.id, { fingerprint, fragment });
    return fragment;
  }

  /** Forgets ports not in `ids` (call after each build). */
  retain(ids: ReadonlySet<string>): void {
    for (const id of this.entries.keys()) if (!ids.has(id)) this.entries.delete(id);
  }
}

/** The whole table for these Service ports. Deterministic: equal inputs give equal states, so diffs are minimal. */
export function buildRuleset(ports: readonly ServicePortInfo[], opts: RulesetOptions, cache?: FragmentCache): NftState {
  const b = new NftStateBuilder(tableName, opts.family ?? "ip");
  addInfrastructure(b, opts);
  for (const sp of ports) {
    const f = cache ? cache.fragment(sp, opts) : servicePortFragment(sp, opts);
    for (const set of f.sets) b.map(set.name, "set", set.spec, true);
    for (const chain of f.chains) b.addChain(chain);
    for (const [map, key, value] of f.elements) b.element(map, key, value);
  }
  cache?.retain(new Set(ports.map((sp) => sp.id)));
  return b.build();
}
