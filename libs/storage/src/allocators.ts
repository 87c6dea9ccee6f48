// Service IP and NodePort ranges: pure pickers and reservation keys; the reservation itself is a key created in the object's txn.
import { formatIpv4, parseIpv4, parseIpv4Cidr, type Ipv4Cidr } from "./ipv4-cidr.js";

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

/** The ClusterIP range of Services, e.g. "10.96.0.0/12"; never hands out the network or broadcast address. */
export class ServiceIpRange implements RangeAllocator<string> {
  readonly prefix = SERVICE_IP_RESERVATION_PREFIX;
  readonly cidr: Ipv4Cidr;
  readonly size: number;

  /** Throws RangeError for a malformed CIDR or one with fewer than 2 usable addresses (/31, /32). */
  constructor(cidr: string) {
    this.cidr = parseIpv4Cidr(cidr);
    if (this.cidr.prefixLength > 30) throw new RangeError(`service CIDR ${cidr} is too small`);
    this.size = this.cidr.addressCount - 2;
  }

  contains(ip: string): boolean {
    const value = parseIpv4(ip);
    if (value === undefined) return false;
    const offset = value - this.cidr.base;
    return offset >= 1 && offset <= this.size;
  }

  keyFor(ip: string): string {
    return `${this.prefix}${ip}`;
  }

  pick(random: () => number, exclude: ReadonlySet<string>): string | undefined {
    const start = Math.floor(random() * this.size);
    for (let i = 0; i < this.size; i++) {
      const ip = formatIpv4(this.cidr.base + 1 + ((start + i) % this.size));
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
