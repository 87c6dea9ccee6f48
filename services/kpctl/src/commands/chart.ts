// `kpctl chart template|lint|install|upgrade|rollback|history|list|uninstall|status`: Helm-style charts and releases.
import { UsageError } from "../args.js";
import type { Command, CommandContext } from "./command.js";
import { chartHistory, chartList, chartStatus, chartUninstall } from "./chart-info.js";
import { chartInstall, chartRollback, chartUpgrade } from "./chart-install.js";
import { VALUES_FLAGS } from "./chart-source.js";
import { chartLint, chartTemplate } from "./chart-template.js";

type Subcommand = (ctx: CommandContext, args: readonly string[]) => Promise<number>;

const SUBCOMMANDS = new Map<string, Subcommand>(Object.entries({
  template: chartTemplate,
  lint: chartLint,
  install: chartInstall,
  upgrade: chartUpgrade,
  rollback: chartRollback,
  history: chartHistory,
  list: chartList,
  ls: chartList,
  uninstall: (ctx, args) => chartUninstall(ctx, args, ctx.flags.boolean("debug") ? (line) => ctx.err(`${line}\n`) : () => {}),
  status: chartStatus,
} satisfies Record<string, Subcommand>));

const NAMES = ["template", "lint", "install", "upgrade", "rollback", "history", "list", "uninstall", "status"];

export const chartCommand: Command = {
  name: "chart",
  summary: `Render, install and upgrade Helm-style charts (templates in eta); releases are kept in the cluster.\nSubcommands: ${NAMES.join(", ")}.`,
  usage: "kpctl chart SUBCOMMAND [NAME] [CHART] [options]",
  examples: [
    "  # Render a chart to stdout, or one file per template",
    "  kpctl chart template web charts/examples/web --set replicas=3",
    "  kpctl chart template web charts/examples/web --output-dir /tmp/web",
    "",
    "  # Check a chart and values against its values.schema.json and the kinds the cluster serves",
    "  kpctl chart lint charts/examples/web -f my-values.yaml",
    "",
    "  # Install, upgrade (waiting for the rollout; rolled back if it fails), inspect, roll back, remove",
    "  kpctl chart install web charts/examples/web",
    "  kpctl chart upgrade web charts/examples/web --set replicas=5 --atomic --timeout 2m",
    "  kpctl chart history web",
    "  kpctl chart rollback web 1",
    "  kpctl chart list -A",
    "  kpctl chart uninstall web",
  ].join("\n"),
  flags: [
    ...VALUES_FLAGS,
    { name: "output-dir", type: "string", description: "template: write each template's objects to DIR/<chart>/templates/<file> instead of stdout." },
    { name: "install", short: "i", type: "boolean", description: "upgrade: install the release if it does not exist." },
    { name: "wait", type: "boolean", description: "install/upgrade/rollback: wait until Deployments, StatefulSets and DaemonSets are rolled out and Pods are Ready." },
    { name: "timeout", type: "string", default: "5m", description: "How long --wait waits (e.g. 90s, 5m)." },
    { name: "atomic", type: "boolean", description: "install/upgrade: on failure, uninstall (install) or roll back to the last deployed revision (upgrade). Implies --wait." },
    { name: "history-max", type: "string", default: "10", description: "Revisions kept per release; older ones are deleted (0: no limit)." },
    { name: "all-namespaces", short: "A", type: "boolean", description: "list: releases of every namespace." },
    { name: "debug", type: "boolean", description: "Print each object created, configured or deleted (stderr)." },
  ],
  async run(ctx) {
    const [sub, ...args] = ctx.args;
    const handler = sub === undefined ? undefined : SUBCOMMANDS.get(sub);
    if (!handler) throw new UsageError(sub ? `unknown chart subcommand "${sub}"; one of: ${NAMES.join(", ")}` : `a subcommand is required: ${NAMES.join(", ")}`);
    return handler(ctx, args);
  },
};
