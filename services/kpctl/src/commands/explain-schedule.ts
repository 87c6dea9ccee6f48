// `kpctl explain-schedule POD`: asks the scheduler which filter rejected each node, or how each feasible node scored, and the winner.
import type { schedulerV1 } from "@kubeplane/api";
import { UsageError } from "../args.js";
import { DEFAULT_SCHEDULER } from "../context-config.js";
import { alignTabs, TABLE_TABS } from "../printers/tab-writer.js";
import { connectScheduler } from "../scheduler-client.js";
import type { Command } from "./command.js";

function details(n: schedulerV1.NodeExplanation): string {
  if (!n.feasible) return `rejected by ${n.rejectedBy || "unknown"}: ${n.reasons.join(", ") || "no reason given"}`;
  const parts = Object.entries(n.scores)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([plugin, score]) => `${plugin} ${score}`);
  return `score ${n.totalScore}${parts.length ? ` (${parts.join(", ")})` : ""}`;
}

/** The NODE RESULT DETAILS table, then `winner: …` (or the scheduler's message when nothing fits). */
export function formatExplanation(res: schedulerV1.ExplainScheduleResponse): string {
  const rows = res.nodes.map((n) => `${n.nodeName}\t${n.feasible ? "feasible" : "rejected"}\t${details(n)}`);
  const lines = res.nodes.length ? alignTabs(["NODE\tRESULT\tDETAILS", ...rows], TABLE_TABS) : [];
  lines.push(res.winner ? `winner: ${res.winner}` : `no node fits: ${res.message || "no nodes"}`);
  return `${lines.join("\n")}\n`;
}

export const explainScheduleCommand: Command = {
  name: "explain-schedule",
  summary: "Show, per node, the filter that rejects a pod or its scores, and where it would be scheduled.",
  usage: "kpctl explain-schedule POD [-n NAMESPACE] [--scheduler HOST:PORT]",
  examples: ["  # Why does pod web go where it goes (or nowhere)?", "  kpctl explain-schedule web -n prod"].join("\n"),
  flags: [
    {
      name: "scheduler",
      type: "string",
      value: "HOST:PORT",
      description: `The scheduler's gRPC address (default $KUBEPLANE_SCHEDULER, the context's scheduler, or ${DEFAULT_SCHEDULER}).`,
    },
  ],
  async run(ctx) {
    if (ctx.args.length !== 1) throw new UsageError("exactly one pod name is required");
    const name = ctx.args[0]!.replace(/^(pods?|po)\//, "");
    const address = ctx.flags.string("scheduler") || ctx.io.env.KUBEPLANE_SCHEDULER || ctx.settings.scheduler || DEFAULT_SCHEDULER;
    const client = (ctx.io.connectScheduler ?? connectScheduler)(address, ctx.settings.timeoutMs);
    try {
      ctx.out(formatExplanation(await client.explainSchedule(ctx.settings.namespace, name)));
      return 0;
    } finally {
      client.close();
    }
  },
};
