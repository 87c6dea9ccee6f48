// Reads kubectl's resource arguments: `KIND[,KIND] [NAME...]`, `KIND/NAME ...`, and `all`.
import { kindsList, resolveKind, type KindInfo } from "@kubeplane/api";
import { UsageError } from "./args.js";
import { KpctlError } from "./errors.js";

/** Kinds and, when given, the names of one request. */
export interface ResourceRequest {
  info: KindInfo;
  /** Empty: every object (a list). */
  names: string[];
}

/** The kind an operator means by a name; throws kubectl's error for an unknown type. */
export function kindByName(name: string): KindInfo {
  const info = resolveKind(name);
  if (!info) throw new KpctlError(`the server doesn't have a resource type "${name}"`, "EUNKNOWNKIND");
  return info;
}

function kindsOf(list: string): KindInfo[] {
  const out: KindInfo[] = [];
  for (const part of list.split(",").filter(Boolean)) {
    const infos = part.toLowerCase() === "all" ? kindsList.filter((k) => k.inAll) : [kindByName(part)];
    for (const info of infos) if (!out.includes(info)) out.push(info);
  }
  return out;
}

/** Groups the positionals into requests, one per kind, keeping the order the operator gave. */
export function resourceRequests(args: readonly string[]): ResourceRequest[] {
  const first = args[0];
  if (first === undefined) throw new UsageError("you must specify the type of resource to get");
  if (args.some((a) => a.includes("/"))) {
    const requests: ResourceRequest[] = [];
    for (const arg of args) {
      const slash = arg.indexOf("/");
      if (slash < 0) throw new UsageError(`there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'kpctl get resource/<resource_name>' instead of 'kpctl get resource resource/<resource_name>'`);
      const info = kindByName(arg.slice(0, slash));
      const name = arg.slice(slash + 1);
      const existing = requests.find((r) => r.info === info);
      if (existing) existing.names.push(name);
      else requests.push({ info, names: [name] });
    }
    return requests;
  }
  const infos = kindsOf(first);
  const names = args.slice(1);
  if (names.length && infos.length > 1) throw new UsageError("names cannot be given with several resource types; use TYPE/NAME");
  return infos.map((info) => ({ info, names: [...names] }));
}

/**
 * kubectl's GetResourcesAndPairs: the resource arguments, then the `KEY=VALUE` / `KEY-` pairs
 * (label, annotate, set env, set image); a resource after the first pair is an error.
 */
export function resourcesAndPairs(args: readonly string[], pairType: string): { resources: string[]; pairs: string[] } {
  const resources: string[] = [];
  const pairs: string[] = [];
  for (const arg of args) {
    const isPair = (arg.includes("=") && !arg.startsWith("=")) || (arg.endsWith("-") && arg !== "-");
    if (isPair) pairs.push(arg);
    else if (pairs.length) throw new UsageError(`all resources must be specified before ${pairType} changes: ${arg}`);
    else resources.push(arg);
  }
  return { resources, pairs };
}
