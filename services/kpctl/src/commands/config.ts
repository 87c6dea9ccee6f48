// `kpctl config view|current-context|get-contexts|use-context|set-context`: the context file.
import { UsageError } from "../args.js";
import { readContextFile, writeContextFile, type ContextEntry } from "../context-config.js";
import { KpctlError } from "../errors.js";
import { alignTabs, TABLE_TABS } from "../printers/tab-writer.js";
import { formatData } from "../printers/yaml-json.js";
import type { Command } from "./command.js";

const SUBCOMMANDS = "view, current-context, get-contexts, use-context NAME, set-context [NAME | --current]";

export const configCommand: Command = {
  name: "config",
  summary: `Modify the context file (~/.kubeplane/config, or $KUBEPLANE_CONFIG, or --config).\nSubcommands: ${SUBCOMMANDS}.`,
  usage: "kpctl config SUBCOMMAND [options]",
  examples: [
    "  # Show the context file",
    "  kpctl config view",
    "",
    "  # Add a context and switch to it",
    "  kpctl config set-context dev --server=10.0.0.1:6443 --namespace=team-a",
    "  kpctl config use-context dev",
    "",
    "  # Change the namespace of the current context",
    "  kpctl config set-context --current --namespace=kube-system",
  ].join("\n"),
  flags: [
    { name: "current", type: "boolean", description: "set-context: modify the current context." },
    { name: "ca-file", type: "string", description: "set-context: CA certificate of the apiserver." },
    { name: "cert-file", type: "string", description: "set-context: client certificate." },
    { name: "key-file", type: "string", description: "set-context: client key." },
    { name: "output", short: "o", type: "string", default: "yaml", description: "view: yaml or json." },
  ],
  async run(ctx) {
    const [sub, ...rest] = ctx.args;
    const path = ctx.configPath;
    const file = await readContextFile(path);
    switch (sub) {
      case "view": {
        const output = ctx.flags.string("output") === "json" ? "json" : "yaml";
        ctx.out(formatData({ currentContext: file.currentContext ?? "", contexts: file.contexts }, output));
        return 0;
      }
      case "current-context":
        if (!file.currentContext) throw new KpctlError("current-context is not set", "ECONFIG");
        ctx.out(`${file.currentContext}\n`);
        return 0;
      case "get-contexts": {
        const rows = [["CURRENT", "NAME", "SERVER", "NAMESPACE"], ...file.contexts.map((c) => [c.name === file.currentContext ? "*" : "", c.name, c.server ?? "", c.namespace ?? ""])];
        ctx.out(alignTabs(rows.map((r) => r.join("\t")), TABLE_TABS).map((l) => `${l}\n`).join(""));
        return 0;
      }
      case "use-context": {
        const name = rest[0];
        if (!name || rest.length > 1) throw new UsageError("use: kpctl config use-context CONTEXT_NAME");
        if (!file.contexts.some((c) => c.name === name)) throw new KpctlError(`no context exists with the name: "${name}"`, "ECONFIG");
        await writeContextFile(path, { ...file, currentContext: name });
        ctx.out(`Switched to context "${name}".\n`);
        return 0;
      }
      case "set-context": {
        const name = ctx.flags.boolean("current") ? file.currentContext : rest[0];
        if (!name) throw new UsageError(ctx.flags.boolean("current") ? "no current context is set" : "use: kpctl config set-context NAME [--server=] [--namespace=]");
        const existing = file.contexts.find((c) => c.name === name);
        const entry: ContextEntry = existing ?? { name };
        const set = (key: keyof Omit<ContextEntry, "name">, flag: string): void => {
          const v = ctx.flags.string(flag);
          if (v !== undefined) entry[key] = v;
        };
        set("server", "server");
        set("namespace", "namespace");
        set("caFile", "ca-file");
        set("certFile", "cert-file");
        set("keyFile", "key-file");
        await writeContextFile(path, { ...file, contexts: existing ? file.contexts : [...file.contexts, entry] });
        ctx.out(`Context "${name}" ${existing ? "modified" : "created"}.\n`);
        return 0;
      }
      default:
        throw new UsageError(sub ? `unknown config subcommand "${sub}"; one of: ${SUBCOMMANDS}` : `a subcommand is required: ${SUBCOMMANDS}`);
    }
  },
};
