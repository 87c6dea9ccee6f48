// `kpctl auth can-i` and `kpctl auth whoami`: ask the apiserver what the caller (or an impersonated user) may do and who it is.
import { kindFor, resolveKind } from "@kubeplane/api";
import { UsageError } from "../args.js";
import { formatData } from "../printers/yaml-json.js";
import type { Command, CommandContext } from "./command.js";

interface ReviewStatus {
  allowed?: boolean;
  denied?: boolean;
  reason?: string;
}

/** The resource attributes of `can-i VERB TYPE[/NAME] [NAME]` ("pods", "deployments.apps", "pods/web", "*"); an unknown type is asked as given. */
function resourceAttributes(ctx: CommandContext, verb: string, resourceArg: string, nameArg: string): Record<string, string> {
  const [typed, name = nameArg] = resourceArg.split("/", 2) as [string, string | undefined];
  const subresource = ctx.flags.string("subresource") ?? "";
  let group = "";
  let resource = typed;
  let namespaced = true;
  if (typed !== "*") {
    const info = resolveKind(typed);
    if (info) {
      group = info.group;
      resource = info.resource;
      namespaced = info.namespaced;
    } else {
      const dot = typed.indexOf(".");
      if (dot >= 0) [resource, group] = [typed.slice(0, dot), typed.slice(dot + 1)];
      ctx.err(`Warning: the server doesn't have a resource type '${typed}'\n\n`);
    }
  }
  const namespace = ctx.flags.boolean("all-namespaces") || !namespaced ? "" : ctx.settings.namespace || "default";
  return { verb, group, resource, subresource, name, namespace };
}

async function canI(ctx: CommandContext): Promise<number> {
  const [verb, target, name = ""] = ctx.args.slice(1);
  if (!verb || !target) throw new UsageError("you must specify two arguments: verb resource or verb resource/resourceName (or verb NONRESOURCEURL)");
  const spec = target.startsWith("/") ? { nonResourceAttributes: { verb, path: target } } : { resourceAttributes: resourceAttributes(ctx, verb, target, name) };
  const review = { apiVersion: "authorization.k8s.io/v1", kind: "SelfSubjectAccessReview", metadata: {}, spec };
  const reply = (await ctx.client().json.create(kindFor("authorization.k8s.io/v1", "SelfSubjectAccessReview")!, review)) as { status?: ReviewStatus };
  const allowed = reply.status?.allowed === true;
  if (!ctx.flags.boolean("quiet")) {
    const reason = reply.status?.reason;
    ctx.out(allowed ? "yes\n" : reason ? `no - ${reason}\n` : "no\n");
  }
  return allowed ? 0 : 1;
}

async function whoami(ctx: CommandContext): Promise<number> {
  const output = ctx.flags.string("output");
  if (output !== undefined && output !== "yaml" && output !== "json") throw new UsageError("--output must be 'yaml' or 'json'");
  const review = { apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview", metadata: {} };
  const reply = (await ctx.client().json.create(kindFor("authentication.k8s.io/v1", "SelfSubjectReview")!, review)) as {
    status?: { userInfo?: { username?: string; uid?: string; groups?: string[]; extra?: Record<string, string[]> } };
  };
  if (output) {
    ctx.out(formatData(reply, output));
    return 0;
  }
  const user = reply.status?.userInfo ?? {};
  const rows: [string, string][] = [["Username", user.username ?? ""]];
  if (user.uid) rows.push(["UID", user.uid]);
  if (user.groups?.length) rows.push(["Groups", `[${user.groups.join(" ")}]`]);
  for (const [k, v] of Object.entries(user.extra ?? {})) rows.push([`Extra: ${k}`, `[${v.join(" ")}]`]);
  ctx.out(["ATTRIBUTE   VALUE", ...rows.map(([k, v]) => `${k.padEnd(12)}${v}`)].join("\n") + "\n");
  return 0;
}

export const authCommand: Command = {
  name: "auth",
  summary: "Inspect authorization: can-i (may I do this?) and whoami (who am I to the apiserver?).",
  usage: "kpctl auth can-i VERB [TYPE | TYPE/NAME | NONRESOURCEURL] [NAME] [flags]\n  kpctl auth whoami [-o yaml|json]",
  examples: [
    "  # Check whether I can create pods in the current namespace",
    "  kpctl auth can-i create pods",
    "  # Check whether alice may delete pods in namespace team (needs the impersonate permission)",
    "  kpctl auth can-i delete pods -n team --as=alice",
    "  # Check whether I can read the /version path",
    "  kpctl auth can-i get /version",
    "  # Show the user and groups the apiserver sees",
    "  kpctl auth whoami",
  ].join("\n"),
  flags: [
    { name: "all-namespaces", short: "A", type: "boolean", description: "If true, check the specified action in all namespaces." },
    { name: "quiet", short: "q", type: "boolean", description: "If true, suppress output and just return the exit code." },
    { name: "subresource", type: "string", description: "SubResource such as pod/log or deployment/scale." },
    { name: "output", short: "o", type: "string", description: "whoami: one of 'yaml' or 'json'." },
  ],
  async run(ctx) {
    switch (ctx.args[0]) {
      case "can-i":
        return canI(ctx);
      case "whoami":
        return whoami(ctx);
      default:
        throw new UsageError(ctx.args[0] ? `unknown auth subcommand "${ctx.args[0]}"` : "auth needs a subcommand: can-i or whoami");
    }
  },
};
