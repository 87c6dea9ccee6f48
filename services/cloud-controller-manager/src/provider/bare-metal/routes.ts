// Pod-CIDR routes as kernel routes on every other host, programmed with `ip route` (hosts reached through a network namespace).
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { formatIpCanonical, parseIp } from "@kubeplane/api";
import { NoRouteAddressError, type Route, type Routes } from "../interface.js";
import type { Machine } from "./config.js";
import type { Inventory } from "./inventory.js";

const run = promisify(execFile);

/** The routing protocol number our routes carry, so we list and remove only our own. */
export const ROUTE_PROTO = "77";

/** Thrown when an `ip` command fails on a host; `cause` is the exec error. */
export class RouteCommandError extends Error {
  override readonly name = "RouteCommandError";
  readonly code = "RouteCommandFailed";
}

/**
 * Runs `ip` on one host. Only the network-namespace executor exists: a real deployment would run
 * the same commands on each machine through an agent or ssh (see docs/cloud-controller-manager.md).
 */
async function ip(host: Machine, args: readonly string[], signal?: AbortSignal): Promise<string> {
  const argv = ["-n", host.netns!, ...args];
  try {
    const { stdout } = await run("ip", argv, { signal, timeout: 10_000 });
    return stdout;
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr?.trim();
    throw new RouteCommandError(`ip ${argv.join(" ")} on ${host.name}: ${stderr || (err as Error).message}`, { cause: err });
  }
}

/** The address family of an address or CIDR ("a.b.c.d/p", "x::/p"). */
function familyOf(addressOrCidr: string): 4 | 6 {
  return addressOrCidr.includes(":") ? 6 : 4;
}

/** An address in RFC 5952 text (as `ip -j` prints it), so inventory spellings compare equal. */
function canonical(address: string): string {
  const ip = parseIp(address);
  return ip ? formatIpCanonical(ip.family, ip.value) : address;
}

/** The node's first InternalIP (then ExternalIP) of the family: the next hop for its pod CIDR of that family. */
function nextHop(m: Machine, family: 4 | 6): string | undefined {
  const of = (type: string): string | undefined => m.addresses.find((a) => a.type === type && familyOf(a.address) === family)?.address;
  const found = of("InternalIP") ?? of("ExternalIP");
  return found && canonical(found);
}

/**
 * Routes on bare metal: for node N with pod CIDR C, every other inventory host that has a route
 * executor gets `C via <N's InternalIP of C's family> proto 77` (`ip -6 route` for IPv6 CIDRs: the
 * kernel takes no IPv4 next hop for them). A route is complete when every such host has it.
 */
export class HostRoutes implements Routes {
  constructor(private readonly inventory: Inventory) {}

  private hosts(): Machine[] {
    return this.inventory.list().filter((m) => m.netns !== undefined);
  }

  async listRoutes(signal?: AbortSignal): Promise<Route[]> {
    const hosts = this.hosts();
    const byCidr = new Map<string, { via: string; on: Set<string> }[]>();
    for (const host of hosts) {
      const out4 = await ip(host, ["-4", "-j", "route", "show", "proto", ROUTE_PROTO], signal);
      const out6 = await ip(host, ["-6", "-j", "route", "show", "proto", ROUTE_PROTO], signal);
      const found = [...(JSON.parse(out4 || "[]") as { dst: string; gateway?: string }[]), ...(JSON.parse(out6 || "[]") as { dst: string; gateway?: string }[])];
      for (const r of found) {
        const cidr = r.dst.includes("/") ? r.dst : `${r.dst}/${familyOf(r.dst) === 6 ? 128 : 32}`;
        const entries = byCidr.get(cidr) ?? [];
        let entry = entries.find((e) => e.via === (r.gateway ?? ""));
        if (!entry) entries.push((entry = { via: r.gateway ?? "", on: new Set() }));
        entry.on.add(host.name);
        byCidr.set(cidr, entries);
      }
    }
    const routes: Route[] = [];
    for (const [cidr, entries] of byCidr) {
      for (const { via, on } of entries) {
        const hop = (m: Machine): string | undefined => nextHop(m, familyOf(cidr));
        const target = hosts.find((h) => hop(h) === via) ?? this.inventory.list().find((m) => hop(m) === via);
        const expected = hosts.filter((h) => h.name !== target?.name);
        const incomplete = entries.length > 1 || expected.some((h) => !on.has(h.name));
        routes.push({ targetNode: target?.name ?? "", destinationCidr: cidr, incomplete });
      }
    }
    return routes;
  }

  async createRoute(route: Route, signal?: AbortSignal): Promise<void> {
    const family = familyOf(route.destinationCidr);
    const target = this.inventory.get(route.targetNode);
    const via = target && nextHop(target, family);
    if (!via) throw new NoRouteAddressError(`node ${route.targetNode} has no IPv${family} InternalIP or ExternalIP in the inventory: no route for ${route.destinationCidr}`);
    for (const host of this.hosts()) {
      if (host.name === route.targetNode) continue;
      await ip(host, [`-${family}`, "route", "replace", route.destinationCidr, "via", via, "proto", ROUTE_PROTO], signal);
    }
  }

  async deleteRoute(route: Route, signal?: AbortSignal): Promise<void> {
    for (const host of this.hosts()) {
      try {
        await ip(host, [`-${familyOf(route.destinationCidr)}`, "route", "del", route.destinationCidr, "proto", ROUTE_PROTO], signal);
      } catch (err) {
        // Already gone on this host: deleting is idempotent.
        if (!/No such process|Cannot find/.test(String((err as Error).message))) throw err;
      }
    }
  }
}
