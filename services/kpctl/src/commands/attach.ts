// `kpctl attach POD [-c C] [-i] [-t]`: attaches to a running container's main process through the apiserver's pods/attach subresource.
import { UsageError } from "../args.js";
import type { Command } from "./command.js";
import { podName } from "./logs.js";
import { runRemoteSession } from "./remote-session.js";

export const attachCommand: Command = {
  name: "attach",
  summary: "Attach to a running container.",
  usage: "kpctl attach POD [-c CONTAINER] [-n NAMESPACE] [-i] [-t]",
  examples: [
    "  # The output of pod web's main process as it runs",
    "  kpctl attach web",
    "",
    "  # Its terminal (the container has stdin: true, tty: true)",
    "  kpctl attach -it web",
  ].join("\n"),
  flags: [
    { name: "container", short: "c", type: "string", description: "Container name (required when the pod has several)." },
    { name: "stdin", short: "i", type: "boolean", description: "Pass stdin to the container (it must have stdin: true)." },
    { name: "tty", short: "t", type: "boolean", description: "Stdin is a TTY (the container must have tty: true)." },
  ],
  async run(ctx) {
    const [pod, ...extra] = ctx.args;
    if (!pod || extra.length) throw new UsageError("exactly one pod is required: kpctl attach POD [-c CONTAINER] [-i] [-t]");
    const client = ctx.client();
    if (!client.podAttach) throw new Error("this client cannot attach");
    const stdin = ctx.flags.boolean("stdin");
    const tty = ctx.flags.boolean("tty");
    if (tty && stdin) ctx.err("If you don't see a command prompt, try pressing enter.\n");
    const open = client.podAttach.bind(client, ctx.settings.namespace, podName(pod));
    return runRemoteSession(ctx, { stdin, tty, container: ctx.flags.string("container") ?? "" }, (opts, output) => open(opts, output, ctx.io.signal));
  },
};
