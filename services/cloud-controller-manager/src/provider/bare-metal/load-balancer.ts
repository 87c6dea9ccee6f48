// Load-balancer addresses from configured pools: the lowest free address, rebuilt from Services' status at start.
import { coreV1Service } from "@kubeplane/api";
import { objectKey } from "@kubeplane/client";
import { formatIpv4, parseIpv4 } from "../../ipv4.js";
import { LoadBalancerUnavailableError, type LoadBalancer } from "../interface.js";
import type { PoolConfig } from "./config.js";

type Service = coreV1Service.Service;

/** A Service may name the pool its address comes from; without it every pool is tried in order. */
export const POOL_ANNOTATION = "lb.kubeplane.io/address-pool";

interface Assignment {
  ip: number;
  pool: string;
}

/** Whether a Service wants a load balancer from this controller (type LoadBalancer, no other class). */
export function wantsLoadBalancer(svc: Service | undefined): boolean {
  return svc?.spec?.type === "LoadBalancer" && !svc.spec.loadBalancerClass;
}

/**
 * Pool allocation. Not thread-safe by design: the service controller calls it from one worker
 * (the LoadBalancer contract), which is what makes "never the same address twice" hold under
 * concurrent creates. Nothing here is persisted: `restore` rebuilds it from the Services' status.
 */
export class PoolLoadBalancer implements LoadBalancer {
  private readonly byKey = new Map<string, Assignment>();
  private readonly byIp = new Map<number, string>();

  constructor(private readonly pools: readonly PoolConfig[]) {}

  restore(services: readonly Service[]): void {
    // Oldest first, so if two Services ever claimed one address the older keeps it.
    const ordered = services.filter(wantsLoadBalancer).sort((a, b) => {
      const ta = a.metadata?.creationTimestamp ?? "";
      const tb = b.metadata?.creationTimestamp ?? "";
      return ta === tb ? objectKey(a).localeCompare(objectKey(b)) : ta < tb ? -1 : 1;
    });
    for (const svc of ordered) {
      const key = objectKey(svc);
      for (const ingress of svc.status?.loadBalancer?.ingress ?? []) {
        const ip = parseIpv4(ingress.ip);
        const pool = ip === undefined ? undefined : this.poolOf(ip, this.allowedPools(svc));
        if (ip !== undefined && pool && !this.byIp.has(ip) && !this.byKey.has(key)) this.claim(key, ip, pool);
      }
    }
  }

  async ensureLoadBalancer(svc: Service): Promise<coreV1Service.LoadBalancerIngress[]> {
    await Promise.resolve();
    const key = objectKey(svc);
    const allowed = this.allowedPools(svc);
    if (this.pools.length === 0) throw new LoadBalancerUnavailableError("NoAddressPools", "no load-balancer address pools are configured (loadBalancer.pools in the cloud config)");
    if (allowed.length === 0) throw new LoadBalancerUnavailableError("UnknownPool", `no address pool named "${svc.metadata?.annotations?.[POOL_ANNOTATION]}" (annotation ${POOL_ANNOTATION})`);
    const wanted = svc.spec?.loadBalancerIp ?? "";
    const current = this.byKey.get(key);
    if (current && (wanted === "" || parseIpv4(wanted) === current.ip) && allowed.some((p) => p.name === current.pool)) return ingress(current.ip);
    if (current) this.release(key);
    if (wanted !== "") return ingress(this.claimRequested(key, wanted, allowed));
    for (const pool of allowed)
      for (const range of pool.ranges)
        for (let ip = range.first; ip <= range.last; ip++) {
          if (!this.byIp.has(ip)) {
            this.claim(key, ip, pool.name);
            return ingress(ip);
          }
        }
    const sizes = allowed.map((p) => `${p.name} (${this.used(p)} of ${size(p)} in use)`).join(", ");
    throw new LoadBalancerUnavailableError("PoolExhausted", `no free address in pool ${sizes}`);
  }

  async ensureLoadBalancerDeleted(key: string): Promise<boolean> {
    await Promise.resolve();
    return this.release(key);
  }

  usage(): { pool: string; used: number; free: number }[] {
    return this.pools.map((p) => ({ pool: p.name, used: this.used(p), free: size(p) - this.used(p) }));
  }

  private claimRequested(key: string, wanted: string, allowed: readonly PoolConfig[]): number {
    const ip = parseIpv4(wanted);
    const pool = ip === undefined ? undefined : this.poolOf(ip, allowed);
    if (ip === undefined || !pool) throw new LoadBalancerUnavailableError("LoadBalancerIPNotInPool", `spec.loadBalancerIP ${wanted} is not in pool ${allowed.map((p) => p.name).join(", ")}`);
    const owner = this.byIp.get(ip);
    if (owner !== undefined && owner !== key) throw new LoadBalancerUnavailableError("LoadBalancerIPInUse", `spec.loadBalancerIP ${wanted} is already assigned to Service ${owner}`);
    this.claim(key, ip, pool);
    return ip;
  }

  private allowedPools(svc: Service): PoolConfig[] {
    const named = svc.metadata?.annotations?.[POOL_ANNOTATION];
    return named ? this.pools.filter((p) => p.name === named) : [...this.pools];
  }

  private poolOf(ip: number, pools: readonly PoolConfig[]): string | undefined {
    return pools.find((p) => p.ranges.some((r) => ip >= r.first && ip <= r.last))?.name;
  }

  private claim(key: string, ip: number, pool: string): void {
    this.byKey.set(key, { ip, pool });
    this.byIp.set(ip, key);
  }

  private release(key: string): boolean {
    const a = this.byKey.get(key);
    if (!a) return false;
    this.byKey.delete(key);
    this.byIp.delete(a.ip);
    return true;
  }

  private used(pool: PoolConfig): number {
    let n = 0;
    for (const a of this.byKey.values()) if (a.pool === pool.name) n++;
    return n;
  }
}

function size(pool: PoolConfig): number {
  return pool.ranges.reduce((n, r) => n + r.last - r.first + 1, 0);
}

function ingress(ip: number): coreV1Service.LoadBalancerIngress[] {
  return [coreV1Service.LoadBalancerIngress.fromPartial({ ip: formatIpv4(ip), ipMode: "VIP" })];
}
