// kpctl's entry as a function: picks the command, resolves the context, runs it and maps failures to stderr and an exit code.
import { dirname } from "node:path";
import { ApiClient } from "@kubeplane/client";
import { parseArgs, parseDuration, splitCommand, UsageError, type FlagSpec } from "./args.js";
import type { KpctlClient, KpctlIo } from "./cli-io.js";
import { clientOptions, impersonationFlags } from "./client-options.js";
import { connectionOverrides, contextFilePath, readContextFile, resolveSettings, type ConnectionSettings } from "./context-config.js";
import { errorLine } from "./errors.js";
import { applyCommand } from "./commands/apply.js";
import { chartCommand } from "./commands/chart.js";
import type { Command, CommandContext } from "./commands/command.js";
import { configCommand } from "./commands/config.js";
import { createCommand } from "./commands/create.js";
import { deleteCommand } from "./commands/delete.js";
import { cordonCommand, uncordonCommand } from "./commands/cordon.js";
import { drainCommand } from "./commands/drain.js";
import { describeCommand } from "./commands/describe.js";
import { execCommand } from "./commands/exec.js";
import { attachCommand } from "./commands/attach.js";
import { cpCommand } from "./commands/cp.js";
import { portForwardCommand } from "./commands/port-forward.js";
import { imageCommand } from "./commands/image.js";
import { backupCommand } from "./commands/backup.js";
import { explainScheduleCommand } from "./commands/explain-schedule.js";
import { getCommand } from "./commands/get.js";
import { logsCommand } from "./commands/logs.js";
import { pkiCommand } from "./commands/pki.js";
import { rolloutCommand } from "./commands/rollout.js";
import { scaleCommand } from "./commands/scale.js";
import { autoscaleCommand } from "./commands/autoscale.js";
import { tokenCommand } from "./commands/token.js";
import { certificateCommand } from "./commands/certificate.js";
import { encryptionCommand } from "./commands/encryption.js";
import { topCommand } from "./commands/top.js";
import { commandHelp, rootHelp } from "./commands/usage.js";
import { CLIENT_VERSION, versionCommand } from "./commands/version.js";
import { annotateCommand } from "./commands/annotate.js";
import { apiResourcesCommand } from "./commands/api-resources.js";
import { apiVersionsCommand } from "./commands/api-versions.js";
import { authCommand } from "./commands/auth.js";
import { completionCommand } from "./commands/completion.js";
import { diffCommand } from "./commands/diff.js";
import { editCommand } from "./commands/edit.js";
import { explainCommand } from "./commands/explain.js";
import { exposeCommand } from "./commands/expose.js";
import { labelCommand } from "./commands/label.js";
import { patchCommand } from "./commands/patch.js";
import { runPodCommand } from "./commands/run-pod.js";
import { setCommand } from "./commands/set.js";
import { taintCommand } from "./commands/taint.js";
import { waitCommand } from "./commands/wait.js";

export const GLOBAL_FLAGS: readonly FlagSpec[] = [
  { name: "server", short: "s", type: "string", value: "HOST:PORT", description: "The address of the apiserver's gRPC endpoint (default 127.0.0.1:6443)." },
  { name: "config", type: "string", description: "Path to the context file (default $KUBEPLANE_CONFIG or ~/.kubeplane/config)." },
  { name: "kubeconfig", type: "string", description: "Same as --config." },
  { name: "context", type: "string", description: "The name of the context to use." },
  { name: "namespace", short: "n", type: "string", description: "If present, the namespace scope for this request." },
  { name: "cluster", type: "string", description: "The name of the context file's cluster to use." },
  { name: "user", type: "string", description: "The name of the context file's user to use." },
  { name: "certificate-authority", type: "string", description: "Path to a CA certificate file for the apiserver." },
  { name: "client-certificate", type: "string", description: "Path to a client certificate file for TLS." },
  { name: "client-key", type: "string", description: "Path to a client key file for TLS." },
  { name: "token", type: "string", description: "Bearer token for authentication to the apiserver." },
  { name: "as", type: "string", description: "Username to impersonate for the operation (needs the impersonate permission)." },
  { name: "as-group", type: "array", description: "Group to impersonate for the operation; repeat for several groups." },
  { name: "request-timeout", type: "string", default: "0", description: "How long to wait for a single call (e.g. 1s, 2m); 0 uses the client's default." },
  { name: "help", short: "h", type: "boolean", description: "Help for the command." },
];

export const COMMANDS: readonly Command[] = [
  getCommand,
  describeCommand,
  applyCommand,
  createCommand,
  runPodCommand,
  exposeCommand,
  labelCommand,
  annotateCommand,
  patchCommand,
  editCommand,
  setCommand,
  diffCommand,
  waitCommand,
  explainCommand,
  apiResourcesCommand,
  apiVersionsCommand,
  completionCommand(() => COMMANDS, GLOBAL_FLAGS),
  deleteCommand,
  scaleCommand,
  autoscaleCommand,
  cordonCommand,
  uncordonCommand,
  drainCommand,
  taintCommand,
  rolloutCommand,
  chartCommand,
  logsCommand,
  execCommand,
  attachCommand,
  portForwardCommand,
  cpCommand,
  topCommand,
  imageCommand,
  backupCommand,
  explainScheduleCommand,
  versionCommand,
  authCommand,
  configCommand,
  pkiCommand,
  tokenCommand,
  certificateCommand,
  encryptionCommand,
];

function lazyClient(io: KpctlIo, settings: ConnectionSettings): { get(): KpctlClient; close(): void } {
  let client: KpctlClient | undefined;
  return {
    get() {
      if (client) return client;
      const connect = io.connect ?? ((opts) => ApiClient.connect(opts));
      // Server warnings go to stderr as kubectl prints them.
      const onWarning = (text: string): void => void io.stderr.write(`Warning: ${text}\n`);
      const created = connect({ ...clientOptions(settings, `kpctl/${CLIENT_VERSION}`), onWarning });
      client = created;
      return created;
    },
    close() {
      client?.close();
    },
  };
}

/**
 * Runs one kpctl command line (argv without `node kpctl`) and resolves to its exit code. Never
 * throws and never exits the process: every failure is printed to io.stderr as kubectl words it.
 */
export async function run(argv: readonly string[], io: KpctlIo): Promise<number> {
  const { command: name, rest } = splitCommand(argv, GLOBAL_FLAGS);
  const write = (stream: KpctlIo["stdout"]) => (text: string): void => void stream.write(text);
  if (name === undefined || name === "help") {
    write(io.stdout)(rootHelp(COMMANDS, GLOBAL_FLAGS));
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name || c.aliases?.includes(name));
  if (!command) {
    io.stderr.write(`error: unknown command "${name}" for "kpctl"\nRun 'kpctl --help' for usage.\n`);
    return 1;
  }

  let server = "127.0.0.1:6443";
  let client: ReturnType<typeof lazyClient> | undefined;
  try {
    const { flags, positionals } = parseArgs(rest, [...GLOBAL_FLAGS, ...command.flags]);
    if (flags.boolean("help")) {
      write(io.stdout)(commandHelp(command, GLOBAL_FLAGS));
      return 0;
    }
    const configPath = contextFilePath(flags.string("config") ?? flags.string("kubeconfig"), io.env);
    const timeoutMs = parseDuration(flags.string("request-timeout") ?? "0");
    const settings = resolveSettings(await readContextFile(configPath), connectionOverrides(flags, timeoutMs), io.env, dirname(configPath));
    const impersonate = impersonationFlags(flags);
    if (impersonate) settings.impersonate = impersonate;
    server = settings.server;
    const connection = lazyClient(io, settings);
    client = connection;
    const ctx: CommandContext = {
      io,
      flags,
      args: positionals,
      settings,
      configPath,
      namespaceExplicit: flags.string("namespace") !== undefined,
      client: () => connection.get(),
      now: () => io.now?.() ?? new Date(),
      out: write(io.stdout),
      err: write(io.stderr),
    };
    return await command.run(ctx);
  } catch (err) {
    if (err instanceof UsageError) io.stderr.write(`error: ${err.message}\nSee 'kpctl ${command.name} --help' for usage.\n`);
    else io.stderr.write(`${errorLine(err, server)}\n`);
    return 1;
  } finally {
    client?.close();
  }
}
