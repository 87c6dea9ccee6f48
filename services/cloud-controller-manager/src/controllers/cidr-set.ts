// The set of node pod CIDRs carved from the cluster CIDR: which are taken, and the lowest free one.
import { cidrContains, cidrSize, formatCidr, parseCidr, type Ipv4Cidr } from "../ipv4.js";

/**
 * Node CIDRs of `maskSize` bits within the cluster CIDR, numbered from 0. Not thread-safe: the
 * node-ipam controller uses it from one worker. Holds nothing that is not in the Nodes' specs.
 */
export class CidrSet {
  readonly cluster: Ipv4Cidr;
  readonly count: number;
  private readonly byNode = new Map<string, number>();
  private readonly byIndex = new Map<number, string>();

  constructor(clusterCidr: string, readonly maskSize: number) {
    const parsed = parseCidr(clusterCidr);
    if (typeof parsed === "string") throw new Error(`clusterCidr: Invalid value "${clusterCidr}": ${parsed}`);
    if (maskSize < parsed.prefix) throw new Error(`nodeCidrMaskSize: Invalid value ${maskSize}: must not be smaller than the cluster CIDR's prefix length ${parsed.prefix}`);
    this.cluster = parsed;
    this.count = 2 ** (maskSize - parsed.prefix);
  }

  /** The index of `cidr` when it is one of this set's node CIDRs, else undefined. */
  indexOf(cidr: string): number | undefined {
    const parsed = parseCidr(cidr);
    if (typeof parsed === "string" || parsed.prefix !== this.maskSize || !cidrContains(this.cluster, parsed.base)) return undefined;
    return (parsed.base - this.cluster.base) / cidrSize(this.maskSize);
  }

  /** Records that `node` holds `cidr` (a CIDR outside the set is ignored: someone else's). */
  occupy(node: string, cidr: string): void {
    const i = this.indexOf(cidr);
    if (i === undefined) return;
    this.release(node);
    this.byNode.set(node, i);
    this.byIndex.set(i, node);
  }

  /** The CIDR `node` holds, or the lowest free one now reserved for it; undefined when none is free. */
  allocate(node: string): string | undefined {
    let i = this.byNode.get(node);
    if (i === undefined) {
      for (let j = 0; j < this.count; j++) {
        if (!this.byIndex.has(j)) {
          i = j;
          break;
        }
      }
      if (i === undefined) return undefined;
      this.byNode.set(node, i);
      this.byIndex.set(i, node);
    }
    return formatCidr({ base: this.cluster.base + i * cidrSize(this.maskSize), prefix: this.maskSize });
  }

  release(node: string): void {
    const i = this.byNode.get(node);
    if (i === undefined) return;
    this.byNode.delete(node);
    this.byIndex.delete(i);
  }

  get used(): number {
    return this.byNode.size;
  }
}
