// `kpctl describe KIND NAME`: a human description of one object and its events.
import { kindFor, type KindInfo } from "@kubeplane/api";
import type { JsonObject } from "@kubeplane/client";
import { UsageError } from "../args.js";
import { resourceRequests } from "../kind-args.js";
import { str } from "../json-fields.js";
import { describeObject } from "../printers/describe.js";
import type { Command, CommandContext } from "./command.js";

/** The Events about this very object (as kubectl: name, namespace, kind and uid, so not a deleted namesake's). */
async function eventsOf(ctx: CommandContext, info: KindInfo, namespace: string, obj: JsonObject): Promise<JsonObject[] | undefined> {
  const events = kindFor("v1", "Event");
  if (!events) return undefined;
  const name = str(obj, "metadata", "name");
  const uid = str(obj, "metadata", "uid");
  const selector = [`involvedObject.name=${name}`, info.namespaced ? `involvedObject.namespace=${namespace}` : "", `involvedObject.kind=${info.kind}`, uid ? `involvedObject.uid=${uid}` : ""]
    .filter(Boolean)
    .join(",");
  // Events of cluster-scoped objects are recorded in the default namespace, as in Kubernetes.
  const list = await ctx.client().json.list(events, { namespace: info.namespaced ? namespace : "", fieldSelector: selector, signal: ctx.io.signal });
  return list.items;
}

export const describeCommand: Command = {
  name: "describe",
  summary: "Show details of a specific resource.\nPrints a detailed description of the object, including related events.",
  usage: "kpctl describe (TYPE NAME | TYPE/NAME) [options]",
  examples: ["  # Describe a node", "  kpctl describe nodes worker-1", "", "  # Describe a pod", "  kpctl describe pod/nginx"].join("\n"),
  flags: [{ name: "show-events", type: "boolean", default: true, description: "If true, display events related to the described object." }],
  async run(ctx) {
    if (ctx.args.length === 0) throw new UsageError("you must specify the type of resource to describe");
    const requests = resourceRequests(ctx.args);
    if (requests.some((r) => r.names.length === 0)) throw new UsageError("describe needs a NAME: kpctl describe TYPE NAME");
    const namespace = ctx.settings.namespace;
    let first = true;
    for (const { info, names } of requests) {
      for (const name of names) {
        const obj = await ctx.client().json.get(info, namespace, name, { signal: ctx.io.signal });
        const events = ctx.flags.boolean("show-events") ? await eventsOf(ctx, info, namespace, obj) : undefined;
        if (!first) ctx.out("\n\n");
        first = false;
        ctx.out(describeObject(info, obj, events, ctx.now()));
      }
    }
    return 0;
  },
};
