// `kpctl wait`: blocks until objects meet a condition, a JSONPath value, or are deleted, following a watch, with a timeout.
import { isGone, isNotFound } from "@kubeplane/api";
import type { JsonObject } from "@kubeplane/client";
import { parseDuration, UsageError } from "../args.js";
import { KpctlError } from "../errors.js";
import { arr, str } from "../json-fields.js";
import { resolveTargets, type Target } from "../object-targets.js";
import { JsonPathError, JsonPathTemplate } from "../printers/jsonpath.js";
import { objectRef } from "../resource-names.js";
import type { Command, CommandContext } from "./command.js";
import { FILENAME_FLAG, RECURSIVE_FLAG } from "./shared-flags.js";

/** What --for asks for. */
export type WaitFor =
  | { type: "delete" }
  | { type: "condition"; condition: string; status: string }
  | { type: "jsonpath"; template: JsonPathTemplate; value?: string };

/** Parses --for: `delete`, `condition=NAME[=VALUE]` (VALUE defaults to True), `jsonpath={PATH}[=VALUE]`. */
export function parseWaitFor(text: string): WaitFor {
  if (text.toLowerCase() === "delete") return { type: "delete" };
  if (text.startsWith("condition=")) {
    const [condition = "", status = "True"] = text.slice("condition=".length).split("=");
    if (!condition) throw new UsageError("--for=condition= needs a condition name");
    return { type: "condition", condition, status };
  }
  if (text.startsWith("jsonpath=")) {
    const spec = text.slice("jsonpath=".length);
    const close = spec.lastIndexOf("}");
    if (!spec.startsWith("{") || close < 0) throw new UsageError(`unrecognized JSONPath expression "${spec}": use --for=jsonpath='{.status.phase}'=Running`);
    const rest = spec.slice(close + 1);
    if (rest !== "" && !rest.startsWith("=")) throw new UsageError(`unrecognized JSONPath expression "${spec}"`);
    try {
      return { type: "jsonpath", template: new JsonPathTemplate(spec.slice(0, close + 1)), value: rest === "" ? undefined : rest.slice(1) };
    } catch (err) {
      if (err instanceof JsonPathError) throw new UsageError(err.message, { cause: err });
      throw err;
    }
  }
  throw new UsageError(`unrecognized condition: "${text}": use --for=condition=NAME[=VALUE], --for=delete or --for=jsonpath='{PATH}'=VALUE`);
}

/** Whether the object meets the wait, and the state seen (for progress lines). */
export function check(obj: JsonObject, waitFor: WaitFor): { met: boolean; seen: string } {
  if (waitFor.type === "delete") return { met: false, seen: "exists" };
  if (waitFor.type === "condition") {
    const c = arr(obj, "status", "conditions").find((x) => str(x, "type").toLowerCase() === waitFor.condition.toLowerCase());
    const status = c === undefined ? "<unset>" : str(c, "status");
    return { met: c !== undefined && status.toLowerCase() === waitFor.status.toLowerCase(), seen: `${waitFor.condition}=${status}` };
  }
  const values = waitFor.template.results(obj).flat();
  const text = waitFor.template.execute(obj);
  return { met: waitFor.value === undefined ? values.length > 0 : values.length > 0 && text === waitFor.value, seen: values.length ? text : "<none>" };
}

function metText(waitFor: WaitFor): string {
  return waitFor.type === "delete" ? "deleted" : "condition met";
}

/**
 * Follows one object from its current state until the wait is met; resolves false if the signal
 * ends it first. A watch the server ends (or a Gone resourceVersion) is resumed from a fresh get.
 */
async function waitOne(ctx: CommandContext, t: Target, waitFor: WaitFor, signal: AbortSignal, progress: (seen: string) => void): Promise<boolean> {
  const json = ctx.client().json;
  while (!signal.aborted) {
    let current: JsonObject;
    try {
      current = await json.get(t.info, t.namespace, t.name, { signal });
    } catch (err) {
      if (isNotFound(err) && waitFor.type === "delete") return true;
      if (signal.aborted) return false;
      throw err;
    }
    let state = check(current, waitFor);
    progress(state.seen);
    if (state.met) return true;
    try {
      for await (const ev of json.watch(t.info, {
        namespace: t.namespace,
        fieldSelector: `metadata.name=${t.name}`,
        resourceVersion: str(current, "metadata", "resourceVersion") || undefined,
        signal,
      })) {
        if (ev.type === "BOOKMARK") continue;
        if (ev.type === "DELETED") {
          if (waitFor.type === "delete") return true;
          throw new KpctlError(`${objectRef(t.info, t.name)} was deleted while waiting for the condition`, "EDELETED");
        }
        state = check(ev.object, waitFor);
        progress(state.seen);
        if (state.met) return true;
      }
    } catch (err) {
      if (!isGone(err)) throw err;
    }
    await pause(RESUME_DELAY_MS, signal); // the stream ended early: resume, without spinning
  }
  return false;
}

const RESUME_DELAY_MS = 250;

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

export const waitCommand: Command = {
  name: "wait",
  summary: "Wait for a specific condition on one or many resources.\nFollows each object with a watch; prints `… condition met` (or `… deleted`) per object, or fails after --timeout.",
  usage: "kpctl wait (-f FILENAME | TYPE NAME | TYPE -l SELECTOR | TYPE --all) --for=delete|condition=NAME[=VALUE]|jsonpath='{PATH}'=VALUE [--timeout=30s]",
  examples: [
    "  # Wait until the deployment web is Available",
    "  kpctl wait --for=condition=Available deployment/web --timeout=60s",
    "",
    "  # Wait until every pod labelled app=web runs, then until pod old is gone",
    "  kpctl wait pods -l app=web --for=jsonpath='{.status.phase}'=Running",
    "  kpctl wait pod/old --for=delete",
  ].join("\n"),
  flags: [
    FILENAME_FLAG,
    RECURSIVE_FLAG,
    { name: "for", type: "string", description: "The condition to wait on: delete, condition=NAME[=VALUE] or jsonpath='{PATH}'=VALUE." },
    { name: "selector", short: "l", type: "string", description: "Label selector of the objects to wait for." },
    { name: "all", type: "boolean", description: "Wait for all objects of the given types in the namespace." },
    { name: "timeout", type: "string", default: "30s", description: "How long to wait before giving up (0: check once); e.g. 30s, 5m." },
  ],
  async run(ctx) {
    const forText = ctx.flags.string("for");
    if (!forText) throw new UsageError("--for must be given: delete, condition=NAME[=VALUE] or jsonpath='{PATH}'=VALUE");
    const waitFor = parseWaitFor(forText);
    const timeoutMs = parseDuration(ctx.flags.string("timeout") ?? "30s");
    const targets = await resolveTargets(ctx);
    if (targets.length === 0) throw new KpctlError("no matching resources found", "ENOTFOUND");
    // A timer of our own rather than AbortSignal.timeout, whose unref'd timer would let the process exit mid-wait.
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), Math.max(timeoutMs, 1));
    const signal = ctx.io.signal ? AbortSignal.any([ctx.io.signal, deadline.signal]) : deadline.signal;
    try {
      return await waitAll(ctx, targets, waitFor, timeoutMs, signal);
    } finally {
      clearTimeout(timer);
    }
  },
};

async function waitAll(ctx: CommandContext, targets: readonly Target[], waitFor: WaitFor, timeoutMs: number, signal: AbortSignal): Promise<number> {
  const tty = ctx.io.stderr.isTTY === true;
  const started = Date.now();
  for (const t of targets) {
    const ref = objectRef(t.info, t.name);
    let last = "";
    const progress = (seen: string): void => {
      if (!tty || seen === last) return;
      last = seen;
      ctx.err(`\r\x1b[Kwaiting for ${ref}: ${seen} (${Math.round((Date.now() - started) / 1000)}s)`);
    };
    const met = timeoutMs === 0 ? await checkOnce(ctx, t, waitFor) : await waitOne(ctx, t, waitFor, signal, progress);
    if (tty && last) ctx.err("\r\x1b[K");
    if (!met) {
      if (ctx.io.signal?.aborted) return 130;
      throw new KpctlError(`timed out waiting for the condition on ${t.info.resource}/${t.name}`, "ETIMEOUT");
    }
    ctx.out(`${ref} ${metText(waitFor)}\n`);
  }
  return 0;
}

async function checkOnce(ctx: CommandContext, t: Target, waitFor: WaitFor): Promise<boolean> {
  try {
    return check(await ctx.client().json.get(t.info, t.namespace, t.name, { signal: ctx.io.signal }), waitFor).met;
  } catch (err) {
    if (isNotFound(err) && waitFor.type === "delete") return true;
    throw err;
  }
}
