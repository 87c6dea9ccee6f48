// `kpctl cordon` and `kpctl uncordon`: mark nodes unschedulable or schedulable again (spec.unschedulable).
import { kindFor, type KindInfo } from "@kubeplane/api";
import type { JsonObject } from "@kubeplane/client";
import { UsageError } from "../args.js";
import type { Command, CommandContext } from "./command.js";

const nodes = kindFor("v1", "Node") as KindInfo;

/** Sets spec.unschedulable on one node; returns the line kubectl prints ("node/n cordoned", "node/n already cordoned"). */
export async function setUnschedulable(ctx: CommandContext, name: string, unschedulable: boolean): Promise<string> {
  const verb = unschedulable ? "cordoned" : "uncordoned";
  const node = (await ctx.client().json.get(nodes, "", name)) as JsonObject & { spec?: { unschedulable?: boolean } };
  if ((node.spec?.unschedulable ?? false) === unschedulable) return `node/${name} already ${verb}`;
  // null removes the field, as kubectl's patch does when uncordoning.
  await ctx.client().json.patch(nodes, "", name, { spec: { unschedulable: unschedulable ? true : null } });
  return `node/${name} ${verb}`;
}

/** Node names from the arguments or -l. */
export async function selectNodes(ctx: CommandContext): Promise<string[]> {
  const selector = ctx.flags.string("selector");
  if (ctx.args.length > 0 && selector) throw new UsageError("error: cannot specify both a node name and a selector");
  if (ctx.args.length > 0) return ctx.args;
  if (!selector) throw new UsageError("error: USAGE: cordon NODE [flags]");
  const list = await ctx.client().json.list(nodes, { labelSelector: selector });
  return list.items.map((n) => String((n.metadata as { name?: string } | undefined)?.name ?? ""));
}

function schedulabilityCommand(name: "cordon" | "uncordon", unschedulable: boolean): Command {
  return {
    name,
    summary: unschedulable ? "Mark node as unschedulable." : "Mark node as schedulable.",
    usage: `kpctl ${name} NODE [options]`,
    examples: [`  # Mark node "node-1" as ${unschedulable ? "unschedulable" : "schedulable"}`, `  kpctl ${name} node-1`].join("\n"),
    flags: [{ name: "selector", short: "l", type: "string", description: "Selector (label query) to filter on." }],
    async run(ctx) {
      for (const node of await selectNodes(ctx)) ctx.out(`${await setUnschedulable(ctx, node, unschedulable)}\n`);
      return 0;
    },
  };
}

export const cordonCommand: Command = schedulabilityCommand("cordon", true);
export const uncordonCommand: Command = schedulabilityCommand("uncordon", false);
