// A pure IPv4 CIDR parser and the address <-> integer conversions the allocators need.

/** An IPv4 network: `base` is the network address as an unsigned 32-bit integer. */
export interface Ipv4Cidr {
  base: number;
  prefixLength: number;
  /** Number of addresses, network and broadcast included: 2^(32 - prefixLength). */
  addressCount: number;
}

/** Parses dotted-quad IPv4 ("10.96.0.1") to an unsigned integer, or undefined if malformed. */
export function parseIpv4(text: string): number | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return value;
}

export function formatIpv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff].join(".");
}

/**
 * Parses "a.b.c.d/n". Throws RangeError for a malformed CIDR or one with host bits set
 * ("10.96.0.1/12"), which is almost always a typo for the network address.
 */
export function parseIpv4Cidr(text: string): Ipv4Cidr {
  const match = /^([^/]+)\/(\d{1,2})$/.exec(text.trim());
  const address = match ? parseIpv4(match[1]!) : undefined;
  const prefixLength = match ? Number(match[2]) : NaN;
  if (address === undefined || !(prefixLength >= 0 && prefixLength <= 32)) throw new RangeError(`invalid IPv4 CIDR ${JSON.stringify(text)}`);
  const addressCount = 2 ** (32 - prefixLength);
  if (address % addressCount !== 0) {
    throw new RangeError(`IPv4 CIDR ${text} has host bits set; the network is ${formatIpv4(address - (address % addressCount))}/${prefixLength}`);
  }
  return { base: address, prefixLength, addressCount };
}
