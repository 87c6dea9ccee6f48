// The objects a verb acts on: `-f FILE`, `TYPE NAME…`, `TYPE/NAME…`, `TYPE -l SELECTOR` or `TYPE --all`.
import { kindFor, type KindInfo } from "@kubeplane/api";
import type { JsonObject } from "@kubeplane/client";
import { UsageError } from "./args.js";
import type { CommandContext } from "./commands/command.js";
import { KpctlError } from "./errors.js";
import { str } from "./json-fields.js";
import { resourceRequests } from "./kind-args.js";
import { loadManifests } from "./manifests.js";

/** One object by kind, namespace ("" for cluster-scoped kinds) and name. */
export interface Target {
  info: KindInfo;
  namespace: string;
  name: string;
}

/** A manifest's kind, or kubectl's "resource mapping not found" error. */
export function manifestKind(object: JsonObject, source: string): KindInfo {
  const info = kindFor(String(object.apiVersion), String(object.kind));
  if (!info) {
    throw new KpctlError(
      `resource mapping not found for name: "${str(object, "metadata", "name")}" namespace: "${str(object, "metadata", "namespace")}" from "${source}": no matches for kind "${String(object.kind)}" in version "${String(object.apiVersion)}"`,
      "EUNKNOWNKIND",
    );
  }
  return info;
}

/**
 * Resolves the objects named by `args` and the -f/--filename, -l/--selector, --all and -R flags
 * (whichever the command declares). A selector or --all lists the kind in the namespace.
 */
export async function resolveTargets(ctx: CommandContext, args: readonly string[] = ctx.args): Promise<Target[]> {
  const files = ctx.flags.strings("filename");
  const namespace = ctx.settings.namespace;
  if (files.length) {
    if (args.length) throw new UsageError("cannot give both -f and resource arguments");
    return (await loadManifests(files, ctx.io.stdin, { recursive: ctx.flags.boolean("recursive") })).map(({ object, source }) => {
      const info = manifestKind(object, source);
      return { info, namespace: info.namespaced ? str(object, "metadata", "namespace") || namespace : "", name: str(object, "metadata", "name") };
    });
  }
  if (args.length === 0) throw new UsageError("you must provide one or more resources by argument or filename (-f)");
  const selector = ctx.flags.string("selector");
  const all = ctx.flags.boolean("all");
  const out: Target[] = [];
  for (const { info, names } of resourceRequests(args)) {
    if (names.length && (selector || all)) throw new UsageError("name cannot be provided when a selector or --all is specified");
    if (names.length === 0 && !selector && !all) throw new UsageError("resource(s) were provided, but no name was specified");
    const ns = info.namespaced ? namespace : "";
    const chosen = names.length
      ? names
      : (await ctx.client().json.listAll(info, { namespace: ns, labelSelector: selector, signal: ctx.io.signal })).items.map((o: JsonObject) => str(o, "metadata", "name"));
    for (const name of chosen) out.push({ info, namespace: ns, name });
  }
  return out;
}
