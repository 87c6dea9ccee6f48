// Flags and helpers several commands share: -f, --dry-run, -o, and a manifest's namespace.
import type { KindInfo } from "@kubeplane/api";
import type { JsonObject } from "@kubeplane/client";
import { UsageError, type FlagSpec, type Flags } from "../args.js";
import { KpctlError } from "../errors.js";
import { isRecord, str } from "../json-fields.js";
import type { CommandContext } from "./command.js";

export const FILENAME_FLAG: FlagSpec = {
  name: "filename",
  short: "f",
  type: "strings",
  value: "FILENAME",
  description: "The files, directories (their *.yaml, *.yml and *.json files) or - for stdin that contain the configuration.",
};

export const RECURSIVE_FLAG: FlagSpec = {
  name: "recursive",
  short: "R",
  type: "boolean",
  description: "Process the directory used in -f, --filename recursively.",
};

export const DRY_RUN_FLAG: FlagSpec = {
  name: "dry-run",
  type: "string",
  default: "none",
  description: 'Must be "none", "server", or "client". With "server" the apiserver validates the request without persisting it; with "client" nothing is sent.',
};

export type DryRunMode = "none" | "server" | "client";

export function dryRunMode(flags: Flags): DryRunMode {
  const v = flags.string("dry-run") ?? "none";
  if (v === "none" || v === "server" || v === "client") return v;
  if (v === "true" || v === "") return "client";
  if (v === "false") return "none";
  throw new UsageError(`Invalid dry-run value (${v}). Must be "none", "server", or "client".`);
}

/**
 * The manifest with the namespace it goes to: its own, else -n, else the context's, else
 * "default"; cluster-scoped kinds get none. kubectl refuses a manifest whose namespace
 * contradicts an explicit -n, and so does kpctl.
 */
export function withNamespace(ctx: Pick<CommandContext, "settings" | "namespaceExplicit">, info: KindInfo, object: JsonObject): JsonObject {
  const out = structuredClone(object);
  const metadata = isRecord(out.metadata) ? out.metadata : (out.metadata = {});
  if (!info.namespaced) {
    delete metadata.namespace;
    return out;
  }
  const own = str(metadata, "namespace");
  if (own && ctx.namespaceExplicit && own !== ctx.settings.namespace) {
    throw new KpctlError(
      `the namespace from the provided object "${own}" does not match the namespace "${ctx.settings.namespace}". You must pass '--namespace=${own}' to perform this operation.`,
      "ENAMESPACE",
    );
  }
  metadata.namespace = own || ctx.settings.namespace;
  return out;
}
