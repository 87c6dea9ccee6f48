// `kpctl apply -f`: create each manifest's object or bring the live one in line with it (three-way merge).
import { isConflict, isNotFound, kindFor } from "@kubeplane/api";
import type { JsonObject } from "@kubeplane/client";
import { UsageError } from "../args.js";
import { planApply } from "../apply-plan.js";
import { errorLine, isConnectionFailure, KpctlError } from "../errors.js";
import { str } from "../json-fields.js";
import { loadManifests, type Manifest } from "../manifests.js";
import { objectRef } from "../resource-names.js";
import type { Command, CommandContext } from "./command.js";
import { dryRunMode, DRY_RUN_FLAG, FILENAME_FLAG, RECURSIVE_FLAG, withNamespace } from "./shared-flags.js";

const MAX_CONFLICT_RETRIES = 5;

async function applyOne(ctx: CommandContext, manifest: Manifest, dryRun: "none" | "server" | "client"): Promise<string> {
  const { object, source } = manifest;
  const info = kindFor(String(object.apiVersion), String(object.kind));
  const name = str(object, "metadata", "name");
  if (!info) {
    throw new KpctlError(
      `resource mapping not found for name: "${name}" namespace: "${str(object, "metadata", "namespace")}" from "${source}": no matches for kind "${String(object.kind)}" in version "${String(object.apiVersion)}"`,
      "EUNKNOWNKIND",
    );
  }
  if (!name) throw new KpctlError(`error when retrieving current configuration from "${source}": resource name may not be empty`, "EMANIFEST");
  const desired = withNamespace(ctx, info, object);
  const namespace = str(desired, "metadata", "namespace");
  const json = ctx.client().json;
  const suffix = dryRun === "server" ? " (server dry run)" : dryRun === "client" ? " (dry run)" : "";
  const ref = objectRef(info, name);

  for (let attempt = 0; ; attempt++) {
    let live: JsonObject | undefined;
    try {
      live = await json.get(info, namespace, name, { signal: ctx.io.signal });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    const plan = planApply(desired, live);
    if (plan.action === "unchanged") return `${ref} unchanged${suffix}`;
    if (dryRun === "client") return `${ref} ${plan.action === "create" ? "created" : "configured"}${suffix}`;
    try {
      if (plan.action === "create") {
        await json.create(info, plan.object, { dryRun: dryRun === "server", signal: ctx.io.signal });
        return `${ref} created${suffix}`;
      }
      await json.update(info, plan.object, { dryRun: dryRun === "server", signal: ctx.io.signal });
      return `${ref} configured${suffix}`;
    } catch (err) {
      // Someone wrote between our read and write: read again and re-plan.
      if (!isConflict(err) || attempt >= MAX_CONFLICT_RETRIES) throw err;
    }
  }
}

export const applyCommand: Command = {
  name: "apply",
  summary: "Apply a configuration to a resource by file name or stdin.\nThe resource is created if it does not exist, else updated to match.",
  usage: "kpctl apply (-f FILENAME) [options]",
  examples: [
    "  # Apply the configuration in deployment.yaml",
    "  kpctl apply -f ./deployment.yaml",
    "",
    "  # Apply every manifest of a directory, in file name order (-R: and of its subdirectories)",
    "  kpctl apply -f ./manifests/ -R",
    "",
    "  # Apply what is piped in, checking it with the server first",
    "  cat pod.json | kpctl apply -f - --dry-run=server",
  ].join("\n"),
  flags: [FILENAME_FLAG, RECURSIVE_FLAG, DRY_RUN_FLAG],
  async run(ctx) {
    const files = ctx.flags.strings("filename");
    if (files.length === 0) throw new UsageError("must specify one of -f and -k");
    if (ctx.args.length) throw new UsageError(`unexpected arguments: ${ctx.args.join(" ")}`);
    const dryRun = dryRunMode(ctx.flags);
    const manifests = await loadManifests(files, ctx.io.stdin, { recursive: ctx.flags.boolean("recursive") });
    if (manifests.length === 0) throw new KpctlError("no objects passed to apply", "EMANIFEST");
    let failed = false;
    for (const manifest of manifests) {
      try {
        ctx.out(`${await applyOne(ctx, manifest, dryRun)}\n`);
      } catch (err) {
        if (isConnectionFailure(err)) throw err;
        failed = true;
        ctx.err(`${errorLine(err, ctx.settings.server)}\n`);
      }
    }
    return failed ? 1 : 0;
  },
};
