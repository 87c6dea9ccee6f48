// CIDR blocks of either family as integer ranges: parsing, containment and "block minus blocks" (NetworkPolicy ipBlock).
import { isIPv4, isIPv6 } from "node:net";

/** An IPv4 or IPv6 block: `first` and `last` are the block's first and last addresses as integers. */
export interface CidrBlock {
  readonly family: 4 | 6;
  readonly first: bigint;
  readonly last: bigint;
  readonly prefix: number;
}

/** An inclusive range of addresses of one family. */
export interface AddressRange {
  readonly family: 4 | 6;
  readonly first: bigint;
  readonly last: bigint;
}

const bits = (family: 4 | 6): number => (family === 4 ? 32 : 128);

/** The integer value of an IP address, or undefined when `text` is not one. */
export function parseIp(text: string): { family: 4 | 6; value: bigint } | undefined {
  if (isIPv4(text)) return { family: 4, value: text.split(".").reduce((acc, octet) => (acc << 8n) | BigInt(Number(octet)), 0n) };
  if (!isIPv6(text)) return undefined;
  let addr = text;
  // An embedded IPv4 tail ("::ffff:10.1.2.3") becomes two hextets.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(addr);
  if (v4) {
    const n = parseIp(v4[1]!)!.value;
    addr = `${addr.slice(0, -v4[1]!.length)}${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [head, tail] = addr.includes("::") ? addr.split("::") : [addr, undefined];
  const headParts = head ? head.split(":") : [];
  const tailParts = tail ? tail.split(":") : [];
  const parts = tail === undefined ? headParts : [...headParts, ...Array<string>(8 - headParts.length - tailParts.length).fill("0"), ...tailParts];
  return { family: 6, value: parts.reduce((acc, h) => (acc << 16n) | BigInt(parseInt(h, 16)), 0n) };
}

/** Formats an address of `family` (IPv6 without zero compression; nft and the kernel accept it). */
export function formatIp(family: 4 | 6, value: bigint): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 0xffn)).join(".");
  const hextets: string[] = [];
  for (let s = 112n; s >= 0n; s -= 16n) hextets.push(((value >> s) & 0xffffn).toString(16));
  return hextets.join(":");
}

/**
 * The canonical text of an address of `family`: dotted quad, or RFC 5952 for IPv6 (lower case, no
 * leading zeros, the longest run of two or more zero groups as "::"), as Kubernetes writes ClusterIPs and podCIDRs.
 */
export function formatIpCanonical(family: 4 | 6, value: bigint): string {
  if (family === 4) return formatIp(4, value);
  const groups = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(112 - 16 * i)) & 0xffffn));
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLength).join(":")}`;
}

/** A CIDR ("10.0.0.0/8", "2001:db8::/32"); host bits are masked off as Kubernetes' ParseCIDRSloppy does. Undefined when invalid. */
export function parseCidr(text: string): CidrBlock | undefined {
  const slash = text.indexOf("/");
  if (slash < 0) return undefined;
  const ip = parseIp(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  if (!ip || !/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  const width = bits(ip.family);
  if (prefix > width) return undefined;
  const hostMask = (1n << BigInt(width - prefix)) - 1n;
  const first = ip.value & ~hostMask & ((1n << BigInt(width)) - 1n);
  return { family: ip.family, first, last: first | hostMask, prefix };
}

/** `block` without the addresses of `holes` (holes of the other family are ignored), as sorted disjoint ranges. */
export function subtractRanges(block: AddressRange, holes: readonly AddressRange[]): AddressRange[] {
  let out: AddressRange[] = [block];
  for (const hole of holes) {
    if (hole.family !== block.family) continue;
    out = out.flatMap((r) => {
      if (hole.last < r.first || hole.first > r.last) return [r];
      const pieces: AddressRange[] = [];
      if (hole.first > r.first) pieces.push({ family: r.family, first: r.first, last: hole.first - 1n });
      if (hole.last < r.last) pieces.push({ family: r.family, first: hole.last + 1n, last: r.last });
      return pieces;
    });
  }
  return out;
}

/** Sorts ranges and merges those that overlap or touch, per family (IPv4 first). */
export function mergeRanges(ranges: readonly AddressRange[]): AddressRange[] {
  const sorted = [...ranges].sort((a, b) => a.family - b.family || (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
  const out: { family: 4 | 6; first: bigint; last: bigint }[] = [];
  for (const r of sorted) {
    const prev = out[out.length - 1];
    if (prev && prev.family === r.family && r.first <= prev.last + 1n) {
      if (r.last > prev.last) prev.last = r.last;
    } else out.push({ ...r });
  }
  return out;
}
