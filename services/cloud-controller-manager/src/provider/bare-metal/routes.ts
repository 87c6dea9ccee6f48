// Pod-CIDR routes as kernel routes on every other host, programmed with `ip route` (hosts reached through a network namespace).
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { Route, Routes } from "../interface.js";
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

/** The node's first InternalIP (then ExternalIP): the next hop for its pod CIDR. */
function nextHop(m: Machine): string | undefined {
  return (m.addresses.find((a) => a.type === "InternalIP") ?? m.addresses.find((a) => a.type === "ExternalIP"))?.address;
}

/**
 * Routes on bare metal: for node N with pod CIDR C, every other inventory host that has a route
 * executor gets `C via <N's InternalIP> proto 77`. A route is complete when every such host has it.
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
      const out = await ip(host, ["-j", "route", "show", "proto", ROUTE_PROTO], signal);
      for (const r of JSON.parse(out || "[]") as { dst: string; gateway?: string }[]) {
        const cidr = r.dst.includes("/") ? r.dst : `${r.dst}/32`;
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
        const target = hosts.find((h) => nextHop(h) === via) ?? this.inventory.list().find((m) => nextHop(m) === via);
        const expected = hosts.filter((h) => h.name !== target?.name);
        const incomplete = entries.length > 1 || expected.some((h) => !on.has(h.name));
        routes.push({ targetNode: target?.name ?? "", destinationCidr: cidr, incomplete });
      }
    }
    return routes;
  }

  async createRoute(route: Route, signal?: AbortSignal): Promise<void> {
    const target = this.inventory.get(route.targetNode);
    const via = target && nextHop(target);
    if (!via) throw new RouteCommandError(`node ${route.targetNode} has no InternalIP or ExternalIP in the inventory`);
    for (const host of this.hosts()) {
      if (host.name === route.targetNode) continue;
      await ip(host, ["route", "replace", route.destinationCidr, "via", via, "proto", ROUTE_PROTO], signal);
    }
  }

  async deleteRoute(route: Route, signal?: AbortSignal): Promise<void> {
    for (const host of this.hosts()) {
      try {
        await ip(host, ["route", "del", route.destinationCidr, "proto", ROUTE_PROTO], signal);
      } catch (err) {
        // Already gone on this host: deleting is idempotent.
        if (!/No such process|Cannot find/.test(String((err as Error).message))) throw err;
      }
    }
  }
}
