// Service IP and NodePort ranges: pure pickers and reservation keys; the reservation itself is a key created in the object's txn.
import { formatIpv4, parseIpv4, parseIpv4Cidr } from "./ipv4-cidr.js";
import { formatIpv6, parseIpv6, parseIpv6Cidr } from "./ipv6-cidr.js";

/**
 * A range of values handed out one per object. Pure: a value is taken when its `keyFor` key
 * exists in etcd, created in the same txn as the object (`alsoCreate`), so two apiservers never
 * hand out the same value; the loser gets KeyExistsError for that key and picks again.
 * Reservation keys live outside `/registry/`, so they are not published as watch events.
 */
export interface RangeAllocator<T> {
  /** Prefix of every reservation key of this range. */
  readonly prefix: string;
  /** How many values can be handed out. */
  readonly size: number;
  /** True when `value` may be handed out (or requested explicitly) from this range. */
  contains(value: T): boolean;
  /** The reservation key of `value`. */
  keyFor(value: T): string;
  /**
   * A value of the range not in `exclude`, starting at a random offset (`random()` in [0, 1)) and
   * probing upward, or undefined when every value is excluded.
   */
  pick(random: () => number, exclude: ReadonlySet<T>): T | undefined;
}

export const SERVICE_IP_RESERVATION_PREFIX = "/kubeplane/ranges/serviceips/";
export const NODE_PORT_RESERVATION_PREFIX = "/kubeplane/ranges/nodeports/";

/** An IP family, spelled as in Service.spec.ipFamilies. */
export type IpFamily = "IPv4" | "IPv6";

/** Largest IPv6 service range kube-apiserver accepts: /108 (2^20 addresses). */
const MAX_IPV6_HOST_BITS = 20;

/**
 * The ClusterIP range of Services of one family, e.g. "10.96.0.0/12" or "fd00:10:96::/112". An
 * IPv4 range never hands out its network or broadcast address, an IPv6 range never its network
 * (subnet-router anycast) address, as kube-apiserver's allocator. IPv6 ranges may be at most /108.
 */
export class ServiceIpRange implements RangeAllocator<string> {
  readonly prefix = SERVICE_IP_RESERVATION_PREFIX;
  readonly family: IpFamily;
  readonly size: number;
  private readonly base: bigint;

  /** Throws RangeError for a malformed CIDR, one with fewer than 2 usable addresses (/31, /32), or an IPv6 one larger than /108. */
  constructor(readonly cidrText: string) {
    if (cidrText.includes(":")) {
      const cidr = parseIpv6Cidr(cidrText);
      const hostBits = 128 - cidr.prefixLength;
      if (hostBits > MAX_IPV6_HOST_BITS) throw new RangeError(`service CIDR ${cidrText} is too large; for 128-bit addresses the mask must be >= 108`);
      if (hostBits < 2) throw new RangeError(`service CIDR ${cidrText} is too small`);
      this.family = "IPv6";
      this.base = cidr.base;
      this.size = 2 ** hostBits - 1;
    } else {
      const cidr = parseIpv4Cidr(cidrText);
      if (cidr.prefixLength > 30) throw new RangeError(`service CIDR ${cidrText} is too small`);
      this.family = "IPv4";
      this.base = BigInt(cidr.base);
      this.size = cidr.addressCount - 2;
    }
  }

  private parse(ip: string): bigint | undefined {
    if (this.family === "IPv6") return ip.includes(":") ? parseIpv6(ip) : undefined;
    const v = parseIpv4(ip);
    return v === undefined ? undefined : BigInt(v);
  }

  private format(value: bigint): string {
    return this.family === "IPv6" ? formatIpv6(value) : formatIpv4(Number(value));
  }

  /** The canonical text of `ip` (IPv6: RFC 5952), or undefined when it is not an address of this family. */
  canonical(ip: string): string | undefined {
    const value = this.parse(ip);
    return value === undefined ? undefined : this.format(value);
  }

  contains(ip: string): boolean {
    const value = this.parse(ip);
    if (value === undefined) return false;
    const offset = value - this.base;
    return offset >= 1n && offset <= BigInt(this.size);
  }

  /** Keys use the canonical text, so "fd00::0a" and "fd00::a" are one reservation. */
  keyFor(ip: string): string {
    return `${this.prefix}${this.canonical(ip) ?? ip}`;
  }

  pick(random: () => number, exclude: ReadonlySet<string>): string | undefined {
    const start = Math.floor(random() * this.size);
    for (let i = 0; i < this.size; i++) {
      const ip = this.format(this.base + 1n + BigInt((start + i) % this.size));
      if (!exclude.has(ip)) return ip;
    }
    return undefined;
  }
}

/** The NodePort range, 30000-32767 by default. One reservation per port (TCP and UDP share it, as in Kubernetes). */
export class NodePortRange implements RangeAllocator<number> {
  readonly prefix = NODE_PORT_RESERVATION_PREFIX;
  readonly size: number;

  constructor(
    readonly min = 30000,
    readonly max = 32767,
  ) {
    if (!Number.isInteger(min) || !Number.isInteger(max) || min < 1 || max > 65535 || min > max) {
      throw new RangeError(`invalid node port range ${min}-${max}`);
    }
    this.size = max - min + 1;
  }

  contains(port: number): boolean {
    return Number.isInteger(port) && port >= this.min && port <= this.max;
  }

  keyFor(port: number): string {
    return `${this.prefix}${port}`;
  }

  pick(random: () => number, exclude: ReadonlySet<number>): number | undefined {
    const start = Math.floor(random() * this.size);
    for (let i = 0; i < this.size; i++) {
      const port = this.min + ((start + i) % this.size);
      if (!exclude.has(port)) return port;
    }
    return undefined;
  }
}
