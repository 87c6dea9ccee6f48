// Help text for kpctl and each command, laid out like kubectl's.
import type { FlagSpec } from "../args.js";
import type { Command } from "./command.js";

function flagLine(f: FlagSpec): string {
  const def = f.type === "boolean" ? String(f.default ?? false) : f.type === "strings" || f.type === "array" ? "[]" : `'${String(f.default ?? "")}'`;
  const names = f.short ? `-${f.short}, --${f.name}` : `--${f.name}`;
  return `    ${names}=${def}:\n\t${f.description}\n`;
}

export function commandHelp(cmd: Command, globalFlags: readonly FlagSpec[]): string {
  return [
    `${cmd.summary}\n\n`,
    cmd.examples ? `Examples:\n${cmd.examples}\n\n` : "",
    cmd.flags.length ? `Options:\n${cmd.flags.map(flagLine).join("\n")}\n` : "",
    `Global options:\n${globalFlags.map(flagLine).join("\n")}\n`,
    `Usage:\n  ${cmd.usage}\n`,
  ].join("");
}

export function rootHelp(commands: readonly Command[], globalFlags: readonly FlagSpec[]): string {
  const width = Math.max(...commands.map((c) => c.name.length)) + 3;
  return [
    "kpctl controls the Kubeplane cluster manager.\n\n",
    "Commands:\n",
    ...commands.map((c) => `  ${c.name.padEnd(width)}${c.summary.split("\n")[0]}\n`),
    `\nGlobal options:\n${globalFlags.map(flagLine).join("\n")}\n`,
    "Usage:\n  kpctl [flags] [options]\n\n",
    'Use "kpctl <command> --help" for more information about a given command.\n',
  ].join("");
}
