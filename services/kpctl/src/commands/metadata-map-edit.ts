// `kpctl label` and `kpctl annotate`: set (`k=v`) and remove (`k-`) labels or annotations with a merge patch.
import { UsageError, type FlagSpec } from "../args.js";
import { errorLine, isConnectionFailure, KpctlError } from "../errors.js";
import { rec } from "../json-fields.js";
import { resourcesAndPairs } from "../kind-args.js";
import { resolveTargets, type Target } from "../object-targets.js";
import { objectRef } from "../resource-names.js";
import type { Command, CommandContext } from "./command.js";
import { dryRunMode, DRY_RUN_FLAG, FILENAME_FLAG, RECURSIVE_FLAG } from "./shared-flags.js";

/** What one command line asks: keys to set and keys to remove. */
export interface MapChanges {
  set: Map<string, string>;
  remove: string[];
}

/** Splits positionals into resource arguments and `k=v` / `k-` changes (kubectl: changes come last). */
export function splitChanges(args: readonly string[], what: string): { resources: string[]; changes: MapChanges } {
  const { resources, pairs } = resourcesAndPairs(args, what);
  const changes: MapChanges = { set: new Map(), remove: [] };
  for (const arg of pairs) {
    const eq = arg.indexOf("=");
    if (eq > 0) changes.set.set(arg.slice(0, eq), arg.slice(eq + 1));
    else if (arg.endsWith("-") && arg.length > 1) changes.remove.push(arg.slice(0, -1));
    else throw new UsageError(`invalid ${what} spec: ${arg}`);
  }
  for (const key of changes.remove) if (changes.set.has(key)) throw new UsageError(`can not both modify and remove ${what}s in the same command: ${key}`);
  if (changes.set.size === 0 && changes.remove.length === 0) throw new UsageError(`at least one ${what} update is required`);
  return { resources, changes };
}

/** The merge patch of the changes against the current map; undefined when nothing would change. Throws on overwrite without --overwrite. */
export function mapPatch(current: Record<string, unknown>, changes: MapChanges, overwrite: boolean, what: string): Record<string, string | null> | undefined {
  const patch: Record<string, string | null> = {};
  for (const [key, value] of changes.set) {
    const old = current[key];
    if (old === value) continue;
    if (old !== undefined && !overwrite) throw new KpctlError(`'${key}' already has a value (${String(old)}), and --overwrite is false`, "EOVERWRITE");
    patch[key] = value;
  }
  for (const key of changes.remove) if (key in current) patch[key] = null;
  return Object.keys(patch).length ? patch : undefined;
}

async function editOne(ctx: CommandContext, t: Target, field: "labels" | "annotations", changes: MapChanges, past: string): Promise<string> {
  const json = ctx.client().json;
  const live = await json.get(t.info, t.namespace, t.name, { signal: ctx.io.signal });
  const what = field === "labels" ? "label" : "annotation";
  const patch = mapPatch(rec(live, "metadata", field), changes, ctx.flags.boolean("overwrite"), what);
  const ref = objectRef(t.info, t.name);
  if (!patch) return `${ref} not ${past}`;
  const dryRun = dryRunMode(ctx.flags);
  const metadata: Record<string, unknown> = { [field]: patch };
  const version = ctx.flags.string("resource-version");
  if (version) metadata.resourceVersion = version;
  if (dryRun !== "client") await json.patch(t.info, t.namespace, t.name, { metadata }, { dryRun: dryRun === "server", signal: ctx.io.signal });
  return `${ref} ${past}${dryRun === "server" ? " (server dry run)" : dryRun === "client" ? " (dry run)" : ""}`;
}

/** The label or annotate command (label.ts and annotate.ts export one each). */
export function mapEditCommand(field: "labels" | "annotations"): Command {
  const what = field === "labels" ? "label" : "annotation";
  const past = field === "labels" ? "labeled" : "annotated";
  const verb = field === "labels" ? "label" : "annotate";
  const flags: FlagSpec[] = [
    FILENAME_FLAG,
    RECURSIVE_FLAG,
    { name: "selector", short: "l", type: "string", description: "Label selector of the objects to update." },
    { name: "all", type: "boolean", description: "Update all objects of the given types in the namespace." },
    { name: "overwrite", type: "boolean", description: `If true, allow ${what}s to be overwritten, otherwise reject updates that overwrite existing ${what}s.` },
    { name: "resource-version", type: "string", description: "Only update if the object's resourceVersion is still this one (else Conflict)." },
    DRY_RUN_FLAG,
  ];
  return {
    name: verb,
    summary: `Update the ${what}s on a resource.\nA ${what} is set with KEY=VALUE and removed with KEY-; an existing one changes only with --overwrite.`,
    usage: `kpctl ${verb} [--overwrite] (-f FILENAME | TYPE NAME | TYPE -l SELECTOR | TYPE --all) KEY_1=VAL_1 ... KEY_N=VAL_N [KEY-] [options]`,
    examples: [
      `  # Set ${what} team=a on pod web`,
      `  kpctl ${verb} pods web team=a`,
      "",
      `  # Change it, and remove ${what} old from every pod labelled app=web`,
      `  kpctl ${verb} --overwrite pods -l app=web team=b old-`,
    ].join("\n"),
    flags,
    async run(ctx) {
      const { resources, changes } = splitChanges(ctx.args, what);
      const targets = await resolveTargets(ctx, resources);
      let failed = false;
      for (const t of targets) {
        try {
          ctx.out(`${await editOne(ctx, t, field, changes, past)}\n`);
        } catch (err) {
          if (isConnectionFailure(err) || (err instanceof KpctlError && err.code === "EOVERWRITE" && targets.length === 1)) throw err;
          failed = true;
          ctx.err(`${errorLine(err, ctx.settings.server)}\n`);
        }
      }
      if (targets.length === 0) ctx.err("No resources found\n");
      return failed ? 1 : 0;
    },
  };
}
