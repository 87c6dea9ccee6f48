// The contract of a kpctl command: its flags and help, and a run over a shared context.
import type { KindInfo } from "@kubeplane/api";
import type { FlagSpec, Flags } from "../args.js";
import type { KpctlClient, KpctlIo } from "../cli-io.js";
import type { ConnectionSettings } from "../context-config.js";

/** What a command runs with. `client()` connects on first use, so `--help` and `config` never dial. */
export interface CommandContext {
  io: KpctlIo;
  flags: Flags;
  /** Positionals after the command name. */
  args: string[];
  settings: ConnectionSettings;
  /** Path of the context file in effect (for `config`). */
  configPath: string;
  /** Whether -n/--namespace was given (so manifests' own namespaces may be checked against it). */
  namespaceExplicit: boolean;
  client(): KpctlClient;
  now(): Date;
  out(text: string): void;
  err(text: string): void;
}

/**
 * One kpctl command. `run` resolves to the exit code; it reports per-object failures on stderr
 * itself and throws only for failures that end the command (printed once by `run()`).
 */
export interface Command {
  readonly name: string;
  readonly aliases?: readonly string[];
  readonly summary: string;
  readonly usage: string;
  readonly examples: string;
  readonly flags: readonly FlagSpec[];
  run(ctx: CommandContext): Promise<number>;
}

/** The namespace an object of a kind lives in: the given one for namespaced kinds, "" otherwise. */
export function scopeNamespace(info: KindInfo, namespace: string): string {
  return info.namespaced ? namespace : "";
}
