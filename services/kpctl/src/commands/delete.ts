// `kpctl delete`: by -f manifests, KIND NAME..., or -l selector; waits until objects are gone unless --wait=false.
import { isNotFound } from "@kubeplane/api";
import type { DeleteOptions } from "@kubeplane/client";
import { UsageError } from "../args.js";
import { errorLine, isConnectionFailure } from "../errors.js";
import { resolveTargets, type Target } from "../object-targets.js";
import { quotedRef } from "../resource-names.js";
import type { Command, CommandContext } from "./command.js";
import { FILENAME_FLAG, RECURSIVE_FLAG } from "./shared-flags.js";

const WAIT_POLL_MS = 250;

function deleteOptions(ctx: CommandContext): DeleteOptions {
  const opts: DeleteOptions = { signal: ctx.io.signal };
  const cascade = (ctx.flags.string("cascade") ?? "background").toLowerCase();
  const policies = { background: "Background", true: "Background", foreground: "Foreground", orphan: "Orphan", false: "Orphan" } as const;
  const policy = policies[cascade as keyof typeof policies];
  if (!policy) throw new UsageError(`invalid cascade value (${cascade}). Must be "background", "foreground", or "orphan".`);
  opts.propagationPolicy = policy;
  const grace = ctx.flags.string("grace-period");
  if (ctx.flags.boolean("now")) opts.gracePeriodSeconds = 1;
  if (ctx.flags.boolean("force")) opts.gracePeriodSeconds = 0;
  if (grace !== undefined && grace !== "-1") {
    const n = Number(grace);
    if (!Number.isInteger(n) || n < 0) throw new UsageError(`invalid argument "${grace}" for "--grace-period" flag`);
    opts.gracePeriodSeconds = n;
  }
  return opts;
}

/**
 * Polls until the object is gone (finalizers, graceful termination) or the run is cancelled. An
 * object of the same name with another uid counts as gone, as kubectl's wait: a StatefulSet
 * recreates `db-0` at once.
 */
async function waitGone(ctx: CommandContext, t: Target, uid: string): Promise<void> {
  const signal = ctx.io.signal;
  while (!signal?.aborted) {
    try {
      const now = await ctx.client().json.get(t.info, t.namespace, t.name, { signal });
      if (uid !== "" && (now.metadata as { uid?: string } | undefined)?.uid !== uid) return;
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    await new Promise<void>((resolve) => setTimeout(resolve, WAIT_POLL_MS));
  }
}

export const deleteCommand: Command = {
  name: "delete",
  summary: "Delete resources by file names, stdin, resources and names, or by resources and label selector.",
  usage: "kpctl delete ([-f FILENAME] | TYPE [(NAME | -l label | --all)]) [options]",
  examples: [
    "  # Delete the objects of a manifest",
    "  kpctl delete -f ./deployment.yaml",
    "",
    "  # Delete a deployment, leaving its replica sets",
    "  kpctl delete deploy nginx --cascade=orphan",
    "",
    "  # Delete pods labelled app=web immediately",
    "  kpctl delete pods -l app=web --grace-period=0",
  ].join("\n"),
  flags: [
    FILENAME_FLAG,
    RECURSIVE_FLAG,
    { name: "selector", short: "l", type: "string", description: "Label selector of the objects to delete." },
    { name: "all", type: "boolean", description: "Delete all objects of the given types in the namespace." },
    { name: "grace-period", type: "string", default: "-1", description: "Seconds given to the object to terminate gracefully; -1 uses the object's default, 0 deletes at once." },
    { name: "now", type: "boolean", description: "Signal objects for immediate shutdown (same as --grace-period=1)." },
    { name: "force", type: "boolean", description: "Delete at once without waiting for graceful termination (same as --grace-period=0)." },
    { name: "cascade", type: "string", default: "background", description: 'Must be "background", "orphan", or "foreground": how dependents are garbage collected.' },
    { name: "wait", type: "boolean", default: true, description: "If true, wait for objects to be gone before returning." },
    { name: "ignore-not-found", type: "boolean", description: 'Treat "resource not found" as a successful delete.' },
  ],
  async run(ctx) {
    const opts = deleteOptions(ctx);
    const list = await resolveTargets(ctx);
    const deleted: { target: Target; uid: string }[] = [];
    let failed = false;
    for (const t of list) {
      try {
        const result = await ctx.client().json.delete(t.info, t.namespace, t.name, opts);
        ctx.out(`${quotedRef(t.info, t.name)} deleted\n`);
        deleted.push({ target: t, uid: String((result.object.metadata as { uid?: string } | undefined)?.uid ?? "") });
      } catch (err) {
        if (isNotFound(err) && ctx.flags.boolean("ignore-not-found")) continue;
        if (isConnectionFailure(err)) throw err;
        failed = true;
        ctx.err(`${errorLine(err, ctx.settings.server)}\n`);
      }
    }
    if (list.length === 0 && !ctx.flags.boolean("ignore-not-found")) ctx.err("No resources found\n");
    if (ctx.flags.boolean("wait")) for (const d of deleted) await waitGone(ctx, d.target, d.uid);
    return failed ? 1 : 0;
  },
};
