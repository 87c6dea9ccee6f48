// `kpctl exec [-i] [-t] POD -- CMD…`: runs a command in a container through the apiserver's pods/exec subresource and exits with its code.
import { UsageError } from "../args.js";
import type { Command } from "./command.js";
import { podName } from "./logs.js";
import { runRemoteSession } from "./remote-session.js";

export const execCommand: Command = {
  name: "exec",
  summary: "Execute a command in a container.",
  usage: "kpctl exec POD [-c CONTAINER] [-n NAMESPACE] [-i] [-t] -- COMMAND [args...]",
  examples: [
    "  # The date in pod web's only container",
    "  kpctl exec web -- date",
    "",
    "  # A shell command in container app",
    "  kpctl exec web -c app -- sh -c 'ls /'",
    "",
    "  # An interactive shell (raw terminal, resized with the window)",
    "  kpctl exec -it web -- sh",
    "",
    "  # Pipe stdin to the command",
    "  echo abc | kpctl exec -i web -- cat",
  ].join("\n"),
  flags: [
    { name: "container", short: "c", type: "string", description: "Container name (required when the pod has several)." },
    { name: "stdin", short: "i", type: "boolean", description: "Pass stdin to the container (its EOF is the command's)." },
    { name: "tty", short: "t", type: "boolean", description: "Stdin is a TTY: the command gets a terminal (raw mode here, resizes follow the window)." },
    { name: "timeout", type: "string", default: "0", description: "Seconds the command may run before the runtime stops it; 0 is no limit (without -i/-t only)." },
  ],
  async run(ctx) {
    const [pod, ...command] = ctx.args;
    if (!pod || command.length === 0) throw new UsageError("a pod name and a command are required: kpctl exec POD -- COMMAND [args...]");
    const timeout = ctx.flags.string("timeout") ?? "0";
    if (!/^\d+$/.test(timeout)) throw new UsageError(`invalid argument "${timeout}" for "--timeout" flag: must be a number of seconds`);
    const container = ctx.flags.string("container") ?? "";
    const stdin = ctx.flags.boolean("stdin");
    const tty = ctx.flags.boolean("tty");
    if (stdin || tty) {
      const client = ctx.client();
      if (!client.podExecStream) throw new Error("this client cannot stream exec sessions");
      const open = client.podExecStream.bind(client, ctx.settings.namespace, podName(pod));
      return runRemoteSession(ctx, { stdin, tty, container, command }, (opts, output) => open(opts, output, ctx.io.signal));
    }
    // Without stdin or a terminal, one unary call (the CRI's ExecSync) is enough.
    const opts = { container, command, timeoutSeconds: Number(timeout) };
    const reply = await ctx.client().podExec(ctx.settings.namespace, podName(pod), opts, ctx.io.signal);
    if (reply.stdout.length) ctx.out(reply.stdout.toString("utf8"));
    if (reply.stderr.length) ctx.err(reply.stderr.toString("utf8"));
    // kubectl says so on stderr, and exits with the command's code.
    if (reply.exitCode !== 0) ctx.err(`command terminated with exit code ${reply.exitCode}\n`);
    return reply.exitCode;
  },
};
