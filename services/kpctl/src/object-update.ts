// Read-modify-write of one object with optimistic concurrency: get, change a copy, update at its resourceVersion, retry on Conflict.
import { isConflict } from "@kubeplane/api";
import type { JsonObject } from "@kubeplane/client";
import type { CommandContext } from "./commands/command.js";
import type { DryRunMode } from "./commands/shared-flags.js";
import { jsonEqual } from "./json-fields.js";
import type { Target } from "./object-targets.js";

const MAX_CONFLICT_RETRIES = 5;

/** The outcome of a read-modify-write. */
export interface UpdateResult {
  /** False when the change left the object as it was (nothing was written). */
  changed: boolean;
  /** The object as stored after the write (or as it would be, for a dry run). */
  object: JsonObject;
}

/**
 * Applies `mutate` to a fresh copy of the live object and writes the result with the copy's
 * resourceVersion, so a concurrent writer makes it a Conflict, after which it reads and mutates
 * again (up to 5 times). `mutate` may throw to refuse the change; it must be repeatable.
 */
export async function updateObject(ctx: CommandContext, t: Target, mutate: (obj: JsonObject) => JsonObject, dryRun: DryRunMode = "none"): Promise<UpdateResult> {
  const json = ctx.client().json;
  for (let attempt = 0; ; attempt++) {
    const live = await json.get(t.info, t.namespace, t.name, { signal: ctx.io.signal });
    const next = mutate(structuredClone(live));
    if (jsonEqual(live, next)) return { changed: false, object: live };
    if (dryRun === "client") return { changed: true, object: next };
    try {
      return { changed: true, object: await json.update(t.info, next, { dryRun: dryRun === "server", signal: ctx.io.signal }) };
    } catch (err) {
      if (!isConflict(err) || attempt >= MAX_CONFLICT_RETRIES) throw err;
    }
  }
}
