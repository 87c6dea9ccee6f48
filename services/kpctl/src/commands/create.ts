// `kpctl create namespace NAME` and `kpctl create -f FILE`: create objects, failing if they exist.
import { kindFor } from "@kubeplane/api";
import type { JsonObject } from "@kubeplane/client";
import { UsageError } from "../args.js";
import { errorLine, isConnectionFailure, KpctlError } from "../errors.js";
import { str } from "../json-fields.js";
import { loadManifests } from "../manifests.js";
import { objectRef } from "../resource-names.js";
import type { Command, CommandContext } from "./command.js";
import { dryRunMode, DRY_RUN_FLAG, FILENAME_FLAG, withNamespace } from "./shared-flags.js";

async function createOne(ctx: CommandContext, object: JsonObject, source: string): Promise<string> {
  const info = kindFor(String(object.apiVersion), String(object.kind));
  if (!info) throw new KpctlError(`resource mapping not found for name: "${str(object, "metadata", "name")}" namespace: "${str(object, "metadata", "namespace")}" from "${source}": no matches for kind "${String(object.kind)}" in version "${String(object.apiVersion)}"`, "EUNKNOWNKIND");
  const dryRun = dryRunMode(ctx.flags);
  const ref = objectRef(info, str(object, "metadata", "name"));
  if (dryRun === "client") return `${ref} created (dry run)`;
  await ctx.client().json.create(info, withNamespace(ctx, info, object), { dryRun: dryRun === "server", signal: ctx.io.signal });
  return `${ref} created${dryRun === "server" ? " (server dry run)" : ""}`;
}

export const createCommand: Command = {
  name: "create",
  summary: "Create a resource from a file or from stdin, or a namespace by name.",
  usage: "kpctl create (-f FILENAME | namespace NAME) [options]",
  examples: ["  # Create a namespace", "  kpctl create namespace team-a", "", "  # Create the objects of a manifest", "  kpctl create -f ./pod.yaml"].join("\n"),
  flags: [FILENAME_FLAG, DRY_RUN_FLAG],
  async run(ctx) {
    const files = ctx.flags.strings("filename");
    if (files.length === 0) {
      const [what, name, ...rest] = ctx.args;
      if ((what !== "namespace" && what !== "ns") || !name || rest.length) throw new UsageError("use: kpctl create namespace NAME, or kpctl create -f FILENAME");
      ctx.out(`${await createOne(ctx, { apiVersion: "v1", kind: "Namespace", metadata: { name } }, "command line")}\n`);
      return 0;
    }
    if (ctx.args.length) throw new UsageError(`unexpected arguments: ${ctx.args.join(" ")}`);
    let failed = false;
    for (const { object, source } of await loadManifests(files, ctx.io.stdin)) {
      try {
        ctx.out(`${await createOne(ctx, object, source)}\n`);
      } catch (err) {
        if (isConnectionFailure(err)) throw err;
        failed = true;
        ctx.err(`${errorLine(err, ctx.settings.server)}\n`);
      }
    }
    return failed ? 1 : 0;
  },
};
