// `kpctl logs POD` or `-l SELECTOR`: containers' logs through the apiserver's pods/log subresource (tail, since, previous, follow, prefix).
import { kindFor, type KindInfo } from "@kubeplane/api";
import type { JsonObject, PodLogOptions } from "@kubeplane/client";
import { parseDuration, UsageError } from "../args.js";
import { KpctlError } from "../errors.js";
import { arr, str } from "../json-fields.js";
import type { Command, CommandContext } from "./command.js";

const PODS = kindFor("v1", "Pod") as KindInfo;

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

/** Prefixes every complete line with `prefix` (a partial line waits for its end; `flush` writes the rest). */
export function linePrefixer(prefix: string, write: (text: string) => void): { write(text: string): void; flush(): void } {
  let pending = "";
  return {
    write(text) {
      const lines = (pending + text).split("\n");
      pending = lines.pop() ?? "";
      if (lines.length) write(lines.map((l) => `${prefix}${l}\n`).join(""));
    },
    flush() {
      if (pending) write(`${prefix}${pending}\n`);
      pending = "";
    },
  };
}

/** Runs up to `limit` tasks at once; resolves when all have, rejects with the first failure. */
async function limited(tasks: (() => Promise<void>)[], limit: number): Promise<void> {
  const queue = [...tasks];
  const worker = async (): Promise<void> => {
    for (let task = queue.shift(); task; task = queue.shift()) await task();
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
}

/** Logs of the pods a selector picks, each container (or -c's) once, prefixed with [pod/NAME/CONTAINER] when --prefix or several. */
async function selectorLogs(ctx: CommandContext, selector: string, opts: PodLogOptions): Promise<void> {
  const pods = (await ctx.client().json.listAll(PODS, { namespace: ctx.settings.namespace, labelSelector: selector, signal: ctx.io.signal })).items as JsonObject[];
  if (pods.length === 0) {
    ctx.err(`No resources found in ${ctx.settings.namespace} namespace.\n`);
    return;
  }
  const streams: { pod: string; container: string }[] = [];
  for (const pod of pods) {
    const names = opts.container ? [opts.container] : ctx.flags.boolean("all-containers") ? arr(pod, "spec", "containers").map((c) => str(c, "name")) : [str(pod, "spec", "containers", 0, "name")];
    for (const container of names) streams.push({ pod: str(pod, "metadata", "name"), container });
  }
  const max = Number(ctx.flags.string("max-log-requests") ?? "5");
  if (opts.follow && streams.length > max) {
    throw new KpctlError(`you are attempting to follow ${streams.length} log streams, but maximum allowed concurrency is ${max}, use --max-log-requests to increase the limit`, "ETOOMANY");
  }
  const prefixed = ctx.flags.boolean("prefix");
  await limited(
    streams.map((s) => async () => {
      const out = prefixed ? linePrefixer(`[pod/${s.pod}/${s.container}] `, ctx.out) : { write: ctx.out, flush: () => undefined };
      await pipeLog(ctx.client().podLogs(ctx.settings.namespace, s.pod, { ...opts, container: s.container }, ctx.io.signal), (t) => out.write(t));
      out.flush();
    }),
    opts.follow ? streams.length : 1,
  );
}

function optionalInt(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^-?\d+$/.test(text)) throw new UsageError(`invalid argument "${text}" for "--${flag}" flag: must be an integer`);
  return Number(text);
}

export const logsCommand: Command = {
  name: "logs",
  summary: "Print the logs for a container in a pod.",
  usage: "kpctl logs [-f] [-p] [-c CONTAINER] [--tail N] [--since 5m] [--timestamps] (POD | -l SELECTOR [--prefix] [--all-containers]) [-n NAMESPACE]",
  examples: [
    "  # The last 20 lines of pod web's only container",
    "  kpctl logs web --tail 20",
    "",
    "  # Follow container app of pod web, from 5 minutes ago",
    "  kpctl logs -f web -c app --since 5m",
    "",
    "  # The last 10 lines of every pod labelled app=web, each line prefixed with its pod and container",
    "  kpctl logs -l app=web --prefix",
  ].join("\n"),
  flags: [
    { name: "container", short: "c", type: "string", description: "Print the logs of this container (required when the pod has several)." },
    { name: "follow", short: "f", type: "boolean", description: "Specify if the logs should be streamed." },
    { name: "previous", short: "p", type: "boolean", description: "Print the logs for the previous instance of the container, if it exists." },
    { name: "tail", type: "string", description: "Lines of recent log file to display; default -1 (all) for one pod, 10 with a selector." },
    { name: "selector", short: "l", type: "string", description: "Print the logs of every pod this label selector picks." },
    { name: "prefix", type: "boolean", description: "Prefix each log line with its source ([pod/NAME/CONTAINER])." },
    { name: "all-containers", type: "boolean", description: "With a selector: every container of each pod, not only the first." },
    { name: "max-log-requests", type: "string", default: "5", description: "With a selector and -f: the most log streams followed at once." },
    { name: "since", type: "string", description: "Only return logs newer than a relative duration like 5s, 2m, or 3h." },
    { name: "since-time", type: "string", description: "Only return logs after a specific date (RFC3339)." },
    { name: "timestamps", type: "boolean", description: "Include timestamps on each line in the log output." },
    { name: "limit-bytes", type: "string", description: "Maximum bytes of logs to return." },
  ],
  async run(ctx) {
    const selector = ctx.flags.string("selector");
    if (selector !== undefined ? ctx.args.length !== 0 : ctx.args.length !== 1) throw new UsageError("expected exactly one pod name, or -l SELECTOR: kpctl logs POD [-c CONTAINER]");
    const tail = optionalInt(ctx.flags.string("tail"), "tail") ?? (selector !== undefined ? 10 : -1);
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
    if (selector !== undefined) await selectorLogs(ctx, selector, opts);
    else await pipeLog(ctx.client().podLogs(ctx.settings.namespace, podName(ctx.args[0]!), opts, ctx.io.signal), ctx.out);
    return 0;
  },
};
