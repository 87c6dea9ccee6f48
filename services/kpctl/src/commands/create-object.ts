// Creates one object a generator built (create deployment/configmap/…, run, expose): dry runs, -o yaml|json|name, "… created".
import type { FlagSpec } from "../args.js";
import { UsageError } from "../args.js";
import type { JsonObject } from "@kubeplane/client";
import { str } from "../json-fields.js";
import { manifestKind } from "../object-targets.js";
import { formatData } from "../printers/yaml-json.js";
import { objectRef } from "../resource-names.js";
import type { CommandContext } from "./command.js";
import { dryRunMode, withNamespace } from "./shared-flags.js";

export const OUTPUT_FLAG: FlagSpec = { name: "output", short: "o", type: "string", description: "Print the object instead of a message: yaml, json or name." };

/**
 * Creates `object` in the command's namespace, or with --dry-run=client only builds it and with
 * --dry-run=server has the apiserver validate and default it. With -o prints the object (the
 * server's answer unless client dry run), else `kind/name created`. `verb` replaces "created" (expose).
 */
export async function createObject(ctx: CommandContext, object: JsonObject, verb = "created"): Promise<JsonObject> {
  const info = manifestKind(object, "command line");
  const dryRun = dryRunMode(ctx.flags);
  const output = ctx.flags.string("output");
  if (output !== undefined && !["yaml", "json", "name"].includes(output)) throw new UsageError(`unable to match a printer suitable for the output format "${output}", allowed formats are: json,name,yaml`);
  const desired = withNamespace(ctx, info, object);
  const created = dryRun === "client" ? desired : await ctx.client().json.create(info, desired, { dryRun: dryRun === "server", signal: ctx.io.signal });
  const ref = objectRef(info, str(created, "metadata", "name"));
  if (output === "yaml" || output === "json") ctx.out(formatData({ apiVersion: info.apiVersion, kind: info.kind, ...created }, output));
  else if (output === "name") ctx.out(`${ref}\n`);
  else ctx.out(`${ref} ${verb}${dryRun === "server" ? " (server dry run)" : dryRun === "client" ? " (dry run)" : ""}\n`);
  return created;
}
