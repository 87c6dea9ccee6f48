// IPv6 addresses and CIDRs as 128-bit integers (over @kubeplane/api's parser and RFC 5952 formatter), for the Service IP allocator of the second family.
import { formatIpCanonical, parseIp } from "@kubeplane/api";

/** An IPv6 network: `base` is the network address as a 128-bit unsigned integer. */
export interface Ipv6Cidr {
  base: bigint;
  prefixLength: number;
}

/** Parses an IPv6 address ("fd00:10:96::a", "::ffff:10.0.0.1") to a 128-bit integer, or undefined if malformed or IPv4. */
export function parseIpv6(text: string): bigint | undefined {
  if (text.includes("%")) return undefined;
  const ip = parseIp(text);
  return ip?.family === 6 ? ip.value : undefined;
}

/** The RFC 5952 text of a 128-bit address: lower case, no leading zeros, the longest run of 2+ zero groups as "::". */
export function formatIpv6(value: bigint): string {
  return formatIpCanonical(6, value);
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
