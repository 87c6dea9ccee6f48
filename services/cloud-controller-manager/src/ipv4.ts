// IPv4 address and CIDR arithmetic for pod CIDRs and load-balancer pools (addresses as 32-bit numbers).
import { isIPv4 } from "node:net";

/** A parsed IPv4 CIDR: its first address and prefix length. */
export interface Ipv4Cidr {
  base: number;
  prefix: number;
}

/** The address as a number, or undefined when `text` is not a dotted-quad IPv4 address. */
export function parseIpv4(text: string): number | undefined {
  if (!isIPv4(text)) return undefined;
  return text.split(".").reduce((n, octet) => n * 256 + Number(octet), 0);
}

export function formatIpv4(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join(".");
}

/** Parses "a.b.c.d/p"; returns a reason string when it is not a valid IPv4 CIDR with host bits zero. */
export function parseCidr(text: string): Ipv4Cidr | string {
  const slash = text.indexOf("/");
  if (slash < 0) return "must be a CIDR (address/prefix)";
  const base = parseIpv4(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  const prefix = Number(prefixText);
  if (base === undefined) return "must be an IPv4 CIDR";
  if (!/^\d{1,2}$/.test(prefixText) || prefix > 32) return "prefix length must be between 0 and 32";
  if (base % cidrSize(prefix) !== 0) return `host bits must be zero (did you mean ${formatIpv4(base - (base % cidrSize(prefix)))}/${prefix}?)`;
  return { base, prefix };
}

/** How many addresses a CIDR of this prefix length holds. */
export function cidrSize(prefix: number): number {
  return 2 ** (32 - prefix);
}

export function formatCidr(c: Ipv4Cidr): string {
  return `${formatIpv4(c.base)}/${c.prefix}`;
}

/** True when `addr` lies inside `cidr`. */
export function cidrContains(cidr: Ipv4Cidr, addr: number): boolean {
  return addr >= cidr.base && addr < cidr.base + cidrSize(cidr.prefix);
}
