// `kpctl patch`: a JSON merge, RFC 6902 JSON or strategic merge patch of one object, applied at its resourceVersion.
import { readFile } from "node:fs/promises";
import { applyJsonPatch, JsonPatchError, mergePatch, StrategicMergePatchError, strategicMergePatch } from "@kubeplane/api";
import type { JsonObject } from "@kubeplane/client";
import { parse } from "yaml";
import { UsageError } from "../args.js";
import { KpctlError } from "../errors.js";
import { isRecord } from "../json-fields.js";
import { resolveTargets } from "../object-targets.js";
import { updateObject } from "../object-update.js";
import { formatData } from "../printers/yaml-json.js";
import { objectRef } from "../resource-names.js";
import type { Command } from "./command.js";
import { dryRunMode, DRY_RUN_FLAG, FILENAME_FLAG } from "./shared-flags.js";

export type PatchType = "strategic" | "merge" | "json";

/** The object after the patch; throws KpctlError for a patch that does not apply. */
export function applyPatch(type: PatchType, typeName: string, obj: JsonObject, patch: unknown): JsonObject {
  try {
    const out = type === "json" ? applyJsonPatch(obj, patch) : type === "merge" ? mergePatch(obj, patch) : strategicMergePatch(typeName, obj, patch);
    if (!isRecord(out)) throw new KpctlError("the patch leaves no object", "EPATCH");
    return out as JsonObject;
  } catch (err) {
    if (err instanceof JsonPatchError || err instanceof StrategicMergePatchError) throw new KpctlError(err.message, "EPATCH", { cause: err });
    throw err;
  }
}

function parsePatch(text: string): unknown {
  try {
    return parse(text) as unknown; // JSON is YAML; kubectl takes both
  } catch (err) {
    throw new UsageError(`unable to parse "${text}": ${(err as Error).message}`, { cause: err });
  }
}

export const patchCommand: Command = {
  name: "patch",
  summary: "Update fields of a resource using strategic merge patch, a JSON merge patch, or a JSON patch.\nLists of containers, ports, env, volumes, conditions… merge by their key under a strategic patch.",
  usage: "kpctl patch (-f FILENAME | TYPE NAME) [-p PATCH|--patch-file FILE] [--type strategic|merge|json] [options]",
  examples: [
    "  # Change one container's image, leaving the other containers as they are",
    `  kpctl patch deploy web -p '{"spec":{"template":{"spec":{"containers":[{"name":"app","image":"nginx:1.27"}]}}}}'`,
    "",
    "  # Replace a field with a JSON patch",
    `  kpctl patch pod web --type=json -p '[{"op":"replace","path":"/spec/containers/0/image","value":"nginx:1.27"}]'`,
    "",
    "  # Remove a label with a merge patch",
    `  kpctl patch svc web --type merge -p '{"metadata":{"labels":{"old":null}}}'`,
  ].join("\n"),
  flags: [
    FILENAME_FLAG,
    { name: "patch", short: "p", type: "string", description: "The patch to be applied to the resource, JSON or YAML." },
    { name: "patch-file", type: "string", description: "A file containing the patch." },
    { name: "type", type: "string", default: "strategic", description: "The type of patch: json, merge or strategic." },
    { name: "output", short: "o", type: "string", description: "Print the patched object as yaml or json (or name)." },
    DRY_RUN_FLAG,
  ],
  async run(ctx) {
    const type = ctx.flags.string("type") as PatchType;
    if (!["json", "merge", "strategic"].includes(type)) throw new UsageError(`--type must be one of [json merge strategic], not "${type}"`);
    const inline = ctx.flags.string("patch");
    const file = ctx.flags.string("patch-file");
    if ((inline === undefined) === (file === undefined)) throw new UsageError("must specify exactly one of --patch (-p) and --patch-file");
    const patch = parsePatch(inline ?? (await readFile(file as string, "utf8")));
    const targets = await resolveTargets(ctx);
    if (targets.length !== 1) throw new UsageError("patch takes exactly one object");
    const t = targets[0]!;
    const dryRun = dryRunMode(ctx.flags);
    const result = await updateObject(ctx, t, (obj) => applyPatch(type, t.info.typeName, obj, patch), dryRun);
    const output = ctx.flags.string("output");
    if (output === "yaml" || output === "json") ctx.out(formatData(result.object, output));
    else {
      const suffix = dryRun === "server" ? " (server dry run)" : dryRun === "client" ? " (dry run)" : "";
      ctx.out(`${objectRef(t.info, t.name)} patched${result.changed ? "" : " (no change)"}${suffix}\n`);
    }
    return 0;
  },
};
