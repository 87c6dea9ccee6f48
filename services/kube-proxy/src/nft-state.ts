// The desired contents of kube-proxy's nftables table as data: chains with their rules, maps and sets with their elements.

/** One chain: a base chain carries its `hook` clause ("type nat hook prerouting priority -100 ;"). */
export interface NftChain {
  readonly name: string;
  readonly hook?: string;
  readonly rules: readonly string[];
}

/**
 * A named map or set. `spec` is its declaration body ("type ipv4_addr . inet_proto . inet_service : verdict ;").
 * Elements map key → value ("" for a set). `dynamic` sets are filled by the packet path (session
 * affinity): kube-proxy declares them but never writes or flushes their elements.
 */
export interface NftMap {
  readonly name: string;
  readonly kind: "map" | "set";
  readonly spec: string;
  readonly dynamic: boolean;
  readonly elements: ReadonlyMap<string, string>;
}

/** The whole table as kube-proxy wants it. Immutable once built; diffed against the last applied one. */
export interface NftState {
  readonly family: "ip" | "ip6";
  readonly table: string;
  readonly chains: ReadonlyMap<string, NftChain>;
  readonly maps: ReadonlyMap<string, NftMap>;
}

/** Builds an NftState; chains and maps keep insertion order, which is the order they are rendered in. */
export class NftStateBuilder {
  private readonly chains = new Map<string, NftChain>();
  private readonly maps = new Map<string, { name: string; kind: "map" | "set"; spec: string; dynamic: boolean; elements: Map<string, string> }>();

  constructor(
    private readonly table: string,
    private readonly family: "ip" | "ip6" = "ip",
  ) {}

  chain(name: string, rules: readonly string[], hook?: string): void {
    this.chains.set(name, hook === undefined ? { name, rules } : { name, hook, rules });
  }

  /** Adds a chain object as is (so unchanged chains keep their identity across builds). */
  addChain(chain: NftChain): void {
    this.chains.set(chain.name, chain);
  }

  map(name: string, kind: "map" | "set", spec: string, dynamic = false): void {
    this.maps.set(name, { name, kind, spec, dynamic, elements: new Map() });
  }

  element(map: string, key: string, value = ""): void {
    const m = this.maps.get(map);
    if (!m) throw new RangeError(`element for undeclared map ${map}`);
    m.elements.set(key, value);
  }

  build(): NftState {
    return { family: this.family, table: this.table, chains: this.chains, maps: this.maps };
  }
}

/** Counts of what a state holds, for the nftables metrics. */
export function stateCounts(state: NftState): { chains: number; rules: number; maps: number; elements: number } {
  let rules = 0;
  let elements = 0;
  for (const c of state.chains.values()) rules += c.rules.length;
  for (const m of state.maps.values()) elements += m.elements.size;
  return { chains: state.chains.size, rules, maps: state.maps.size, elements };
}
