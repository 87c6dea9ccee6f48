// `kpctl taint nodes NAME KEY[=VALUE]:EFFECT ... KEY[:EFFECT]-`: adds, replaces (--overwrite) and removes node taints, as kubectl taint.
import { kindFor, type KindInfo } from "@kubeplane/api";
import type { JsonObject } from "@kubeplane/client";
import { UsageError } from "../args.js";
import { KpctlError } from "../errors.js";
import type { Command } from "./command.js";

const nodes = kindFor("v1", "Node") as KindInfo;
const EFFECTS = ["NoSchedule", "PreferNoSchedule", "NoExecute"];

/** A node taint as the API stores it. */
interface Taint {
  key: string;
  value?: string;
  effect: string;
  timeAdded?: string;
}

/** The taints to add and to remove, parsed from kubectl's syntax. */
export interface TaintChanges {
  add: Taint[];
  remove: { key: string; effect?: string }[];
}

/** Parses `key=value:Effect`, `key:Effect`, `key:Effect-` and `key-`; throws UsageError as kubectl words it. */
export function parseTaintArgs(specs: readonly string[]): TaintChanges {
  const changes: TaintChanges = { add: [], remove: [] };
  for (const spec of specs) {
    if (spec.endsWith("-")) {
      const body = spec.slice(0, -1);
      const [key, effect] = body.split(":") as [string, string | undefined];
      if (effect !== undefined && !EFFECTS.includes(effect)) throw new UsageError(`invalid taint effect: ${effect}, unsupported taint effect`);
      changes.remove.push(effect ? { key, effect } : { key });
      continue;
    }
    const colon = spec.lastIndexOf(":");
    if (colon < 0) throw new UsageError(`invalid taint spec: ${spec}, unknown taint spec`);
    const effect = spec.slice(colon + 1);
    if (!EFFECTS.includes(effect)) throw new UsageError(`invalid taint spec: ${spec}, invalid taint effect: ${effect}, unsupported taint effect`);
    const [key, value] = spec.slice(0, colon).split("=", 2) as [string, string | undefined];
    if (!key) throw new UsageError(`invalid taint spec: ${spec}, the key is required`);
    changes.add.push(value === undefined ? { key, effect } : { key, value, effect });
  }
  const added = new Set(changes.add.map((t) => `${t.key}:${t.effect}`));
  for (const r of changes.remove) if (added.has(`${r.key}:${r.effect ?? ""}`)) throw new UsageError("can not both modify and remove the following taint(s) in the same command: " + r.key);
  return changes;
}

/** The node's new taints and whether anything was removed; throws when a taint exists already and `overwrite` is off, or a removal matches nothing. */
export function applyTaints(name: string, current: readonly Taint[], changes: TaintChanges, overwrite: boolean, now: string): { taints: Taint[]; removed: boolean } {
  let taints = [...current];
  let removed = false;
  for (const r of changes.remove) {
    const kept = taints.filter((t) => !(t.key === r.key && (r.effect === undefined || t.effect === r.effect)));
    if (kept.length === taints.length) throw new KpctlError(`taint "${r.key}${r.effect ? `:${r.effect}` : ""}" not found`, "ENOTFOUND");
    taints = kept;
    removed = true;
  }
  for (const t of changes.add) {
    const at = taints.findIndex((x) => x.key === t.key && x.effect === t.effect);
    if (at >= 0 && !overwrite) throw new KpctlError(`node ${name} already has ${t.key} taint(s) with same effect(s) and --overwrite is false`, "EEXIST");
    const taint = t.effect === "NoExecute" ? { ...t, timeAdded: now } : t;
    if (at >= 0) taints[at] = taint;
    else taints.push(taint);
  }
  return { taints, removed };
}

export const taintCommand: Command = {
  name: "taint",
  summary: "Update the taints on one or more nodes.",
  usage: "kpctl taint nodes NODE KEY_1=VAL_1:TAINT_EFFECT_1 ... KEY_N=VAL_N:TAINT_EFFECT_N [options]",
  examples: [
    "  # Keep pods without a matching toleration off node-1",
    "  kpctl taint nodes node-1 dedicated=special-user:NoSchedule",
    "",
    "  # Remove that taint (or every taint with the key: dedicated-)",
    "  kpctl taint nodes node-1 dedicated:NoSchedule-",
  ].join("\n"),
  flags: [{ name: "overwrite", type: "boolean", description: "If true, allow taints to be overwritten, otherwise reject taint updates that overwrite existing taints." }],
  async run(ctx) {
    const [kind, name, ...specs] = ctx.args;
    if (!kind || !["node", "nodes", "no"].includes(kind)) throw new UsageError(`error: the taint command only works on nodes (got ${kind ?? "nothing"})`);
    if (!name || specs.length === 0) throw new UsageError("error: at least one taint update is required");
    const changes = parseTaintArgs(specs);
    const node = (await ctx.client().json.get(nodes, "", name)) as JsonObject & { spec?: { taints?: Taint[] } };
    const { taints, removed } = applyTaints(name, node.spec?.taints ?? [], changes, ctx.flags.boolean("overwrite"), ctx.now().toISOString().replace(/\.\d{3}Z$/, "Z"));
    await ctx.client().json.patch(nodes, "", name, { spec: { taints } });
    const verb = !removed ? "tainted" : changes.add.length === 0 ? "untainted" : "modified";
    ctx.out(`node/${name} ${verb}\n`);
    return 0;
  },
};
