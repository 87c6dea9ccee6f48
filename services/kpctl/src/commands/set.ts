// `kpctl set image|env|resources`: changes the containers of a pod template in place (read, change, update at its resourceVersion).
import { parseQuantity, QuantityParseError } from "@kubeplane/api";
import type { JsonObject } from "@kubeplane/client";
import { UsageError } from "../args.js";
import { errorLine, isConnectionFailure, KpctlError } from "../errors.js";
import { isRecord, str } from "../json-fields.js";
import { resourcesAndPairs } from "../kind-args.js";
import { resolveTargets, type Target } from "../object-targets.js";
import { updateObject } from "../object-update.js";
import { containersOf, keyValues, podSpecOf } from "../pod-template.js";
import { formatData } from "../printers/yaml-json.js";
import { objectRef } from "../resource-names.js";
import type { Command, CommandContext } from "./command.js";
import { dryRunMode, DRY_RUN_FLAG, FILENAME_FLAG, RECURSIVE_FLAG } from "./shared-flags.js";

/** The containers a -c/--containers pattern picks (`*` and shell-style globs), init containers included as kubectl does. */
function pick(containers: Record<string, unknown>[], pattern: string): Record<string, unknown>[] {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`);
  return containers.filter((c) => re.test(str(c, "name")));
}

/** set image: CONTAINER=IMAGE pairs (`*=IMAGE` for all). */
export function setImages(info: Target["info"], obj: JsonObject, pairs: [string, string][]): JsonObject {
  const containers = containersOf(podSpecOf(info, obj), true);
  for (const [name, image] of pairs) {
    const chosen = pick(containers, name);
    if (chosen.length === 0) throw new KpctlError(`unable to find container named "${name}"`, "ENOCONTAINER");
    for (const c of chosen) c.image = image;
  }
  return obj;
}

/** set env: KEY=VALUE sets (or replaces) a variable, KEY- removes it, in the containers the pattern picks. */
export function setEnv(info: Target["info"], obj: JsonObject, changes: string[], pattern: string): JsonObject {
  const sets = keyValues(changes.filter((c) => c.includes("=")), "env");
  const removes = changes.filter((c) => !c.includes("=")).map((c) => c.slice(0, -1));
  const chosen = pick(containersOf(podSpecOf(info, obj), false), pattern);
  if (chosen.length === 0) throw new KpctlError(`unable to find container named "${pattern}"`, "ENOCONTAINER");
  for (const c of chosen) {
    let env = (Array.isArray(c.env) ? c.env : []).filter(isRecord);
    for (const [name, value] of sets) {
      const existing = env.find((e) => e.name === name);
      if (existing) {
        existing.value = value;
        delete existing.valueFrom;
      } else env.push({ name, value });
    }
    env = env.filter((e) => !removes.includes(String(e.name)));
    if (env.length) c.env = env;
    else delete c.env;
  }
  return obj;
}

function resourceList(items: readonly string[], flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of keyValues(items, flag)) {
    try {
      parseQuantity(v);
    } catch (err) {
      if (err instanceof QuantityParseError) throw new UsageError(`invalid ${flag} ${k}=${v}: ${err.message}`, { cause: err });
      throw err;
    }
    out[k] = v;
  }
  return out;
}

/** set resources: --limits/--requests cpu=…,memory=… merged into the picked containers' resources. */
export function setResources(info: Target["info"], obj: JsonObject, limits: Record<string, string>, requests: Record<string, string>, pattern: string): JsonObject {
  const chosen = pick(containersOf(podSpecOf(info, obj), true), pattern);
  if (chosen.length === 0) throw new KpctlError(`unable to find container named "${pattern}"`, "ENOCONTAINER");
  for (const c of chosen) {
    const resources = isRecord(c.resources) ? c.resources : (c.resources = {});
    for (const [key, values] of [["limits", limits], ["requests", requests]] as const) {
      if (Object.keys(values).length) resources[key] = { ...(isRecord(resources[key]) ? resources[key] : {}), ...values };
    }
  }
  return obj;
}

const WHAT = { image: "image updated", env: "env updated", resources: "resource requirements updated" } as const;

async function setOne(ctx: CommandContext, t: Target, what: keyof typeof WHAT, mutate: (obj: JsonObject) => JsonObject): Promise<void> {
  const dryRun = dryRunMode(ctx.flags);
  const result = await updateObject(ctx, t, mutate, dryRun);
  const output = ctx.flags.string("output");
  if (output === "yaml" || output === "json") {
    ctx.out(formatData(result.object, output));
    return;
  }
  const suffix = dryRun === "server" ? " (server dry run)" : dryRun === "client" ? " (dry run)" : "";
  // kubectl prints nothing for an object the change leaves as it was.
  if (result.changed) ctx.out(`${objectRef(t.info, t.name)} ${WHAT[what]}${suffix}\n`);
}

export const setCommand: Command = {
  name: "set",
  summary: "Set specific features on objects: set image, set env, set resources.\nWorks on pods and on the pod templates of deployments, replica sets, daemon sets, stateful sets, jobs and cron jobs.",
  usage: "kpctl set (image TYPE NAME CONTAINER=IMAGE... | env TYPE NAME KEY=VALUE... KEY-... [-c CONTAINER] | resources TYPE NAME [-c CONTAINER] --limits=cpu=…,memory=… --requests=…) [options]",
  examples: [
    "  # The image of container app of deployment web, then of every container",
    "  kpctl set image deployment/web app=nginx:1.27",
    "  kpctl set image deployment/web '*=nginx:1.27'",
    "",
    "  # Set MODE and remove OLD in every container of web's pods",
    "  kpctl set env deployment/web MODE=prod OLD-",
    "",
    "  # Limits and requests of container app",
    "  kpctl set resources deployment web -c app --limits=cpu=200m,memory=512Mi --requests=cpu=100m",
  ].join("\n"),
  flags: [
    FILENAME_FLAG,
    RECURSIVE_FLAG,
    { name: "selector", short: "l", type: "string", description: "Label selector of the objects to change." },
    { name: "all", type: "boolean", description: "Change all objects of the given types in the namespace." },
    { name: "containers", short: "c", type: "string", default: "*", description: "env, resources: the names of the containers to change (a glob; default all)." },
    { name: "limits", type: "strings", description: "resources: limits such as cpu=200m,memory=512Mi." },
    { name: "requests", type: "strings", description: "resources: requests such as cpu=100m,memory=256Mi." },
    { name: "output", short: "o", type: "string", description: "Print the changed objects as yaml or json." },
    DRY_RUN_FLAG,
  ],
  async run(ctx) {
    const [what, ...rest] = ctx.args;
    if (what !== "image" && what !== "env" && what !== "resources") throw new UsageError("use: kpctl set image|env|resources ...");
    const { resources, pairs: changes } = resourcesAndPairs(rest, what);
    const pattern = ctx.flags.string("containers") ?? "*";
    let mutate: (info: Target["info"], obj: JsonObject) => JsonObject;
    if (what === "image") {
      if (changes.length === 0) throw new UsageError("at least one image update is required: CONTAINER=IMAGE");
      const pairs = keyValues(changes, "image update");
      mutate = (info, obj) => setImages(info, obj, pairs);
    } else if (what === "env") {
      if (changes.length === 0) throw new UsageError("at least one environment variable is required: KEY=VALUE or KEY-");
      mutate = (info, obj) => setEnv(info, obj, changes, pattern);
    } else {
      if (changes.length) throw new UsageError(`unexpected arguments: ${changes.join(" ")}`);
      const limits = resourceList(ctx.flags.strings("limits"), "--limits");
      const requests = resourceList(ctx.flags.strings("requests"), "--requests");
      if (!Object.keys(limits).length && !Object.keys(requests).length) throw new UsageError("you must specify an update to requests or limits (in the form of --requests/--limits)");
      mutate = (info, obj) => setResources(info, obj, limits, requests, pattern);
    }
    const targets = await resolveTargets(ctx, resources);
    let failed = false;
    for (const t of targets) {
      try {
        await setOne(ctx, t, what, (obj) => mutate(t.info, obj));
      } catch (err) {
        if (isConnectionFailure(err)) throw err;
        failed = true;
        ctx.err(`${errorLine(err, ctx.settings.server)}\n`);
      }
    }
    return failed ? 1 : 0;
  },
};
