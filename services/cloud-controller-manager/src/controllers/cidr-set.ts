// The set of node pod CIDRs carved from one cluster CIDR (IPv4 or IPv6): which are taken, and the lowest free one.
import { formatIpCanonical, parseCidr as parseCidrOfEitherFamily, parseIp } from "@kubeplane/api";
import { parseCidr as parseIpv4Cidr } from "../ipv4.js";

/** A cluster CIDR as integers: first address, prefix length, and its family's width in bits. */
interface Block {
  family: 4 | 6;
  base: bigint;
  prefix: number;
}

/** Parses either family; a reason string when invalid or when host bits are set. */
function parseBlock(text: string): Block | string {
  if (!text.includes(":")) {
    const v4 = parseIpv4Cidr(text);
    return typeof v4 === "string" ? v4 : { family: 4, base: BigInt(v4.base), prefix: v4.prefix };
  }
  const block = parseCidrOfEitherFamily(text);
  if (!block || block.family !== 6) return "must be an IPv4 or IPv6 CIDR";
  if (parseIp(text.slice(0, text.indexOf("/")))?.value !== block.first) {
    return `host bits must be zero (did you mean ${formatIpCanonical(6, block.first)}/${block.prefix}?)`;
  }
  return { family: 6, base: block.first, prefix: block.prefix };
}

/** The reason `text` is not a usable cluster CIDR (either family), or undefined. */
export function clusterCidrProblem(text: string): string | undefined {
  const parsed = parseBlock(text);
  return typeof parsed === "string" ? parsed : undefined;
}

/**
 * Node CIDRs of `maskSize` bits within the cluster CIDR, numbered from 0. Not thread-safe: the
 * node-ipam controller uses it from one worker. Holds nothing that is not in the Nodes' specs.
 */
export class CidrSet {
  readonly family: 4 | 6;
  readonly count: number;
  private readonly cluster: Block;
  private readonly byNode = new Map<string, number>();
  private readonly byIndex = new Map<number, string>();

  constructor(
    readonly clusterCidr: string,
    readonly maskSize: number,
  ) {
    const parsed = parseBlock(clusterCidr);
    if (typeof parsed === "string") throw new Error(`clusterCidr: Invalid value "${clusterCidr}": ${parsed}`);
    const width = parsed.family === 4 ? 32 : 128;
    if (maskSize < parsed.prefix || maskSize > width) throw new Error(`nodeCidrMaskSize: Invalid value ${maskSize}: must not be smaller than the cluster CIDR's prefix length ${parsed.prefix}`);
    this.cluster = parsed;
    this.family = parsed.family;
    this.count = 2 ** (maskSize - parsed.prefix);
  }

  private get step(): bigint {
    return 1n << BigInt((this.family === 4 ? 32 : 128) - this.maskSize);
  }

  /** The index of `cidr` when it is one of this set's node CIDRs, else undefined. */
  indexOf(cidr: string): number | undefined {
    const parsed = parseBlock(cidr);
    if (typeof parsed === "string" || parsed.family !== this.family || parsed.prefix !== this.maskSize) return undefined;
    const offset = parsed.base - this.cluster.base;
    if (offset < 0n || offset >= BigInt(this.count) * this.step) return undefined;
    return Number(offset / this.step);
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
    return `${formatIpCanonical(this.family, this.cluster.base + BigInt(i) * this.step)}/${this.maskSize}`;
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
