// Fake pod addresses for simulated nodes: a /24 per node (10.<128+hi>.<lo>.0/24) and pod IPs allocated from it.

/** The pod CIDR of the simulated node with index `i` (0 ≤ i < 32768): 10.128.0.0/24, 10.128.1.0/24, … */
export function simulatedPodCidr(i: number): string {
  if (!Number.isInteger(i) || i < 0 || i >= 32_768) throw new RangeError(`simulated node index ${i} is out of 0..32767`);
  return `10.${128 + (i >> 8)}.${i & 255}.0/24`;
}

/**
 * The pod IPs of one node's /24: .2 to .254 (.1 is the bridge's), handed out to pod uids. Not
 * synchronised: one caller (the event loop).
 */
export class PodIpPool {
  private readonly prefix: string;
  private readonly byUid = new Map<string, string>();
  private readonly used = new Set<number>();
  private next = 2;

  constructor(cidr: string) {
    const m = /^(\d+\.\d+\.\d+)\.0\/24$/.exec(cidr);
    if (!m) throw new RangeError(`PodIpPool needs a /24, got ${cidr}`);
    this.prefix = m[1]!;
  }

  /** The pod's IP: the one it has, else a free one; undefined when the /24 is full. */
  allocate(uid: string): string | undefined {
    const have = this.byUid.get(uid);
    if (have) return have;
    for (let tries = 0; tries < 253; tries++) {
      const host = this.next;
      this.next = this.next >= 254 ? 2 : this.next + 1;
      if (this.used.has(host)) continue;
      return this.take(uid, host);
    }
    return undefined;
  }

  /** Records an IP a pod already reports (after a restart), if it is in this /24 and free. */
  reserve(uid: string, ip: string): boolean {
    if (this.byUid.get(uid) === ip) return true;
    if (!ip.startsWith(`${this.prefix}.`)) return false;
    const host = Number(ip.slice(this.prefix.length + 1));
    if (!Number.isInteger(host) || host < 2 || host > 254 || this.used.has(host)) return false;
    this.take(uid, host);
    return true;
  }

  release(uid: string): void {
    const ip = this.byUid.get(uid);
    if (ip === undefined) return;
    this.byUid.delete(uid);
    this.used.delete(Number(ip.slice(this.prefix.length + 1)));
  }

  get size(): number {
    return this.byUid.size;
  }

  private take(uid: string, host: number): string {
    const ip = `${this.prefix}.${host}`;
    this.used.add(host);
    this.byUid.set(uid, ip);
    return ip;
  }
}
