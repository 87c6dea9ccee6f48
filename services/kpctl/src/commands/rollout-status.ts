// `kpctl rollout status deployment/NAME`: follows the Deployment through a watch until it has rolled out, failed or timed out.
import { isGone, type KindInfo } from "@kubeplane/api";
import type { JsonObject } from "@kubeplane/client";
import { parseDuration, UsageError } from "../args.js";
import { sleep } from "../abortable-sleep.js";
import { KpctlError } from "../errors.js";
import { str } from "../json-fields.js";
import type { CommandContext } from "./command.js";
import { deploymentProgress, ProgressReporter } from "./rollout-progress.js";

/** Pause before re-watching when the server ended a stream without events, so a flapping server is not hammered. */
const REWATCH_DELAY_MS = 1000;


/** --revision of status and history: a positive integer, or undefined when absent or 0. */
export function revisionFlag(ctx: CommandContext, flag: string): number | undefined {
  const text = ctx.flags.string(flag);
  if (text === undefined || text === "0") return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`invalid argument "${text}" for "--${flag}" flag: must be a non-negative integer`);
  return n;
}

/**
 * kubectl's UntilWithSync over one Deployment: a get, then a watch from its resourceVersion,
 * re-listing on Gone and resuming when the server ends the stream. Resolves to the exit code.
 */
export async function rolloutStatus(ctx: CommandContext, info: KindInfo, name: string): Promise<number> {
  const watch = ctx.flags.boolean("watch");
  const timeoutMs = parseDuration(ctx.flags.string("timeout") ?? "0");
  const revision = revisionFlag(ctx, "revision");
  const namespace = ctx.settings.namespace;
  const json = ctx.client().json;
  const reporter = new ProgressReporter(ctx.io.stdout, name, watch && ctx.io.stdout.isTTY === true);

  const stop = new AbortController();
  let timedOut = false;
  const onAbort = (): void => stop.abort();
  if (ctx.io.signal?.aborted) stop.abort();
  ctx.io.signal?.addEventListener("abort", onAbort, { once: true });
  const timer = timeoutMs > 0 ? setTimeout(() => ((timedOut = true), stop.abort()), timeoutMs) : undefined;

  /** Shows one observation; true when the command is finished (rolled out, or a single look without --watch). */
  const observe = (d: JsonObject): boolean => {
    const progress = deploymentProgress(d, revision);
    reporter.report(progress);
    return progress.done || !watch;
  };

  try {
    let resourceVersion: string | undefined;
    while (!stop.signal.aborted) {
      if (resourceVersion === undefined) {
        const d = await json.get(info, namespace, name, { signal: stop.signal });
        if (observe(d)) return 0;
        resourceVersion = str(d, "metadata", "resourceVersion");
      }
      let events = 0;
      try {
        for await (const ev of json.watch(info, { namespace, fieldSelector: `metadata.name=${name}`, resourceVersion, signal: stop.signal })) {
          events++;
          if (ev.type !== "BOOKMARK" && str(ev.object, "metadata", "name") !== name) continue;
          if (ev.type === "DELETED") throw new KpctlError("object has been deleted", "EDELETED");
          resourceVersion = str(ev.object, "metadata", "resourceVersion") || resourceVersion;
          if (ev.type !== "BOOKMARK" && observe(ev.object)) return 0;
        }
      } catch (err) {
        // Our resourceVersion was compacted away: start again from a fresh read.
        if (!isGone(err)) throw err;
        resourceVersion = undefined;
      }
      if (events === 0) await sleep(REWATCH_DELAY_MS, stop.signal);
    }
  } catch (err) {
    if (!stop.signal.aborted) throw err;
  } finally {
    clearTimeout(timer);
    ctx.io.signal?.removeEventListener("abort", onAbort);
    reporter.finish();
  }
  if (timedOut) throw new KpctlError("timed out waiting for the condition", "ETIMEOUT");
  // Interrupted (Ctrl-C): the rollout was not seen to finish, so this is not a success.
  return 1;
}
