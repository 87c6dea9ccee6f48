// A pure IPv6 address and CIDR parser with RFC 5952 formatting, for the Service IP allocator of the second family.
import { isIPv6 } from "node:net";

/** An IPv6 network: `base` is the network address as a 128-bit unsigned integer. */
export interface Ipv6Cidr {
  base: bigint;
  prefixLength: number;
}

/** Parses an IPv6 address ("fd00:10:96::a", "::ffff:10.0.0.1") to a 128-bit integer, or undefined if malformed. */
export function parseIpv6(text: string): bigint | undefined {
  if (!isIPv6(text) || text.includes("%")) return undefined;
  let groups: string[];
  const [head = "", tail] = text.split("::");
  const parts = (s: string): string[] => (s === "" ? [] : s.split(":"));
  let left = parts(head);
  let right = tail === undefined ? [] : parts(tail);
  const expandV4 = (list: string[]): string[] => {
    const last = list[list.length - 1];
    if (!last?.includes(".")) return list;
    const o = last.split(".").map(Number);
    return [...list.slice(0, -1), ((o[0]! << 8) | o[1]!).toString(16), ((o[2]! << 8) | o[3]!).toString(16)];
  };
  if (tail === undefined) {
    groups = expandV4(left);
  } else {
    right = expandV4(right);
    left = expandV4(left);
    groups = [...left, ...Array<string>(8 - left.length - right.length).fill("0"), ...right];
  }
  if (groups.length !== 8) return undefined;
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(Number.parseInt(g, 16)), 0n);
}

/** The RFC 5952 text of a 128-bit address: lower case, no leading zeros, the longest run of 2+ zero groups as "::". */
export function formatIpv6(value: bigint): string {
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

/** The canonical (RFC 5952) form of an IPv6 address, or undefined if malformed. */
export function canonicalIpv6(text: string): string | undefined {
  const value = parseIpv6(text);
  return value === undefined ? undefined : formatIpv6(value);
}

/**
 * Parses "fd00:10:96::/112". Throws RangeError for a malformed CIDR or one with host bits set,
 * which is almost always a typo for the network address.
 */
export function parseIpv6Cidr(text: string): Ipv6Cidr {
  const match = /^([^/]+)\/(\d{1,3})$/.exec(text.trim());
  const address = match ? parseIpv6(match[1]!) : undefined;
  const prefixLength = match ? Number(match[2]) : NaN;
  if (address === undefined || !(prefixLength >= 0 && prefixLength <= 128)) throw new RangeError(`invalid IPv6 CIDR ${JSON.stringify(text)}`);
  const hostBits = (1n << BigInt(128 - prefixLength)) - 1n;
  if ((address & hostBits) !== 0n) throw new RangeError(`IPv6 CIDR ${text} has host bits set; the network is ${formatIpv6(address & ~hostBits)}/${prefixLength}`);
  return { base: address, prefixLength };
}
