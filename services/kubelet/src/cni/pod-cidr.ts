// Parses a node's podCIDRs (IPv4, and IPv6 on a dual-stack cluster) and derives the addresses the CNI config needs from them.
import { isIPv6 } from "node:net";

/** Thrown for a podCIDR that is not an IPv4 CIDR with room for a gateway and pods. */
export class PodCidrError extends Error {
  override readonly name = "PodCidrError";
  readonly code = "INVALID_POD_CIDR";
  constructor(cidr: string, reason: string) {
    super(`invalid podCIDR ${JSON.stringify(cidr)}: ${reason}`);
  }
}

/** An IPv4 network as parsed from "10.88.1.0/24". */
export interface Ipv4Cidr {
  /** The network address as a 32-bit unsigned number. */
  network: number;
  prefixLength: number;
}

export function parseIpv4Cidr(cidr: string): Ipv4Cidr {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  if (!match) throw new PodCidrError(cidr, "expected a.b.c.d/n");
  const octets = match.slice(1, 5).map(Number);
  const prefixLength = Number(match[5]);
  if (octets.some((o) => o > 255)) throw new PodCidrError(cidr, "octet above 255");
  // A /31 or /32 has no room for a gateway and a pod.
  if (prefixLength > 30) throw new PodCidrError(cidr, "prefix longer than /30");
  const address = octets.reduce((acc, o) => acc * 256 + o, 0);
  const size = 2 ** (32 - prefixLength);
  if (address % size !== 0) throw new PodCidrError(cidr, "host bits are set");
  return { network: address, prefixLength };
}

/** Checks an IPv6 podCIDR ("fd00:10:244:1::/64"): a network address with room for a gateway and pods (at most /126). */
export function parseIpv6Cidr(cidr: string): { network: string; prefixLength: number } {
  const [network = "", bits = "", extra] = cidr.split("/");
  if (extra !== undefined || !isIPv6(network) || !/^\d{1,3}$/.test(bits)) throw new PodCidrError(cidr, "expected an IPv6 network/n");
  const prefixLength = Number(bits);
  if (prefixLength > 126) throw new PodCidrError(cidr, "prefix longer than /126");
  return { network, prefixLength };
}

export function formatIpv4(address: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(address / 2 ** shift) % 256).join(".");
}

/** True when `ip` (dotted quad) lies inside `cidr`. */
export function ipv4InCidr(ip: string, cidr: string): boolean {
  const { network, prefixLength } = parseIpv4Cidr(cidr);
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!match) return false;
  const address = match.slice(1, 5).reduce((acc, o) => acc * 256 + Number(o), 0);
  return address >= network && address < network + 2 ** (32 - prefixLength);
}

/** The first host address of the network: the bridge's address and the pods' default gateway. */
export function firstHost(cidr: string): string {
  return formatIpv4(parseIpv4Cidr(cidr).network + 1);
}
