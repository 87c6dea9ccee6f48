// `kpctl logs POD`: a container's log through the apiserver's pods/log subresource (tail, since, previous, follow).
import type { PodLogOptions } from "@kubeplane/client";
import { parseDuration, UsageError } from "../args.js";
import type { Command } from "./command.js";

/** The pod name of `POD`, `pod/POD` or `pods/POD`. */
export function podName(arg: string): string {
  return arg.replace(/^(pods?|po)\//, "");
}

/** Writes every chunk as text (a character split across chunks stays whole); resolves at the stream's end. */
export async function pipeLog(chunks: AsyncIterable<Uint8Array>, write: (text: string) => void): Promise<void> {
  const decoder = new TextDecoder();
  for await (const chunk of chunks) write(decoder.decode(chunk, { stream: true }));
  const rest = decoder.decode();
  if (rest) write(rest);
}

function optionalInt(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^-?\d+$/.test(text)) throw new UsageError(`invalid argument "${text}" for "--${flag}" flag: must be an integer`);
  return Number(text);
}

export const logsCommand: Command = {
  name: "logs",
  summary: "Print the logs for a container in a pod.",
  usage: "kpctl logs [-f] [-p] [-c CONTAINER] [--tail N] [--since 5m] [--timestamps] POD [-n NAMESPACE]",
  examples: [
    "  # The last 20 lines of pod web's only container",
    "  kpctl logs web --tail 20",
    "",
    "  # Follow container app of pod web, from 5 minutes ago",
    "  kpctl logs -f web -c app --since 5m",
  ].join("\n"),
  flags: [
    { name: "container", short: "c", type: "string", description: "Print the logs of this container (required when the pod has several)." },
    { name: "follow", short: "f", type: "boolean", description: "Specify if the logs should be streamed." },
    { name: "previous", short: "p", type: "boolean", description: "Print the logs for the previous instance of the container, if it exists." },
    { name: "tail", type: "string", default: "-1", description: "Lines of recent log file to display; -1 shows all lines." },
    { name: "since", type: "string", description: "Only return logs newer than a relative duration like 5s, 2m, or 3h." },
    { name: "since-time", type: "string", description: "Only return logs after a specific date (RFC3339)." },
    { name: "timestamps", type: "boolean", description: "Include timestamps on each line in the log output." },
    { name: "limit-bytes", type: "string", description: "Maximum bytes of logs to return." },
  ],
  async run(ctx) {
    if (ctx.args.length !== 1) throw new UsageError("expected exactly one pod name: kpctl logs POD [-c CONTAINER]");
    const tail = optionalInt(ctx.flags.string("tail"), "tail")!;
    const since = ctx.flags.string("since");
    const sinceTime = ctx.flags.string("since-time") ?? "";
    if (since && sinceTime) throw new UsageError("at most one of --since and --since-time may be specified");
    const opts: PodLogOptions = {
      container: ctx.flags.string("container") ?? "",
      follow: ctx.flags.boolean("follow"),
      tailLines: tail < 0 ? undefined : tail,
      sinceSeconds: since ? Math.max(1, Math.ceil(parseDuration(since) / 1000)) : undefined,
      sinceTime,
      previous: ctx.flags.boolean("previous"),
      timestamps: ctx.flags.boolean("timestamps"),
      limitBytes: optionalInt(ctx.flags.string("limit-bytes"), "limit-bytes"),
    };
    await pipeLog(ctx.client().podLogs(ctx.settings.namespace, podName(ctx.args[0]!), opts, ctx.io.signal), ctx.out);
    return 0;
  },
};
