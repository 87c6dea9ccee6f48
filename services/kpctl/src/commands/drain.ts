// `kpctl drain NODE`: cordons the node and evicts its pods through the eviction subresource, retrying while PodDisruptionBudgets say no.
import { apiErrors, isNotFound, kindFor, type KindInfo } from "@kubeplane/api";
import type { JsonObject } from "@kubeplane/client";
import { parseDuration, UsageError } from "../args.js";
import { KpctlError } from "../errors.js";
import type { Command, CommandContext } from "./command.js";
import { selectNodes, setUnschedulable } from "./cordon.js";
import { planDrain, type DrainPod } from "./drain-filters.js";

const pods = kindFor("v1", "Pod") as KindInfo;
/** How long kubectl waits before evicting again a pod a disruption budget protects. */
const EVICTION_RETRY_MS = 5_000;
const DELETION_POLL_MS = 500;

/** A drain's settings from its flags. */
interface DrainSettings {
  /** 0: no limit. */
  timeoutMs: number;
  gracePeriodSeconds?: number;
  disableEviction: boolean;
  deadline: number;
}

class DrainTimeoutError extends KpctlError {
  constructor(readonly pod: string, timeout: string) {
    super(`error when evicting pods/"${pod.split("/")[1]}" -n "${pod.split("/")[0]}": global timeout reached: ${timeout}`, "ETIMEDOUT");
  }
}

export const drainCommand: Command = {
  name: "drain",
  summary: "Drain node in preparation for maintenance.",
  usage: "kpctl drain NODE [options]",
  examples: [
    "  # Drain node-1, leaving DaemonSet pods and deleting emptyDir data; give up after 5 minutes",
    "  kpctl drain node-1 --ignore-daemonsets --delete-emptydir-data --timeout=5m",
    "",
    "  # Schedule on it again",
    "  kpctl uncordon node-1",
  ].join("\n"),
  flags: [
    { name: "ignore-daemonsets", type: "boolean", description: "Ignore DaemonSet-managed pods." },
    { name: "delete-emptydir-data", type: "boolean", description: "Continue even if there are pods using emptyDir (local data that will be deleted when the node is drained)." },
    { name: "force", type: "boolean", description: "Continue even if there are pods that do not declare a controller." },
    { name: "timeout", type: "string", default: "0s", description: "The length of time to wait before giving up, zero means infinite." },
    { name: "grace-period", type: "string", default: "-1", description: "Period of time in seconds given to each pod to terminate gracefully. If negative, the default value specified in the pod will be used." },
    { name: "disable-eviction", type: "boolean", description: "Force drain to use delete, even if eviction is supported. This will bypass checking PodDisruptionBudgets." },
    { name: "pod-selector", type: "string", description: "Label selector to filter pods on the node." },
    { name: "selector", short: "l", type: "string", description: "Selector (label query) to filter on." },
  ],
  async run(ctx) {
    const settings = drainSettings(ctx);
    let failed = false;
    for (const node of await selectNodes(ctx)) {
      ctx.out(`${await setUnschedulable(ctx, node, true)}\n`);
      try {
        await drainNode(ctx, node, settings);
        ctx.out(`node/${node} drained\n`);
      } catch (err) {
        if (!(err instanceof KpctlError) && !apiErrors.isApiError(err)) throw err;
        ctx.err(`error: unable to drain node "${node}" due to error: ${err.message}, continuing command...\n`);
        failed = true;
      }
    }
    return failed ? 1 : 0;
  },
};

function drainSettings(ctx: CommandContext): DrainSettings {
  const timeoutMs = parseDuration(ctx.flags.string("timeout") ?? "0s");
  const grace = Number(ctx.flags.string("grace-period") ?? "-1");
  if (!Number.isInteger(grace)) throw new UsageError(`invalid argument "${ctx.flags.string("grace-period")}" for "--grace-period" flag`);
  return {
    timeoutMs,
    ...(grace >= 0 ? { gracePeriodSeconds: grace } : {}),
    disableEviction: ctx.flags.boolean("disable-eviction"),
    deadline: timeoutMs > 0 ? Date.now() + timeoutMs : Number.POSITIVE_INFINITY,
  };
}

async function drainNode(ctx: CommandContext, node: string, settings: DrainSettings): Promise<void> {
  const list = await ctx.client().json.listAll(pods, { fieldSelector: `spec.nodeName=${node}`, labelSelector: ctx.flags.string("pod-selector") ?? "" });
  const plan = planDrain(list.items as DrainPod[], {
    ignoreDaemonSets: ctx.flags.boolean("ignore-daemonsets"),
    deleteEmptyDirData: ctx.flags.boolean("delete-emptydir-data"),
    force: ctx.flags.boolean("force"),
  });
  if (plan.errors.length) throw new KpctlError(`[${plan.errors.join(", ")}]`, "EDRAIN");
  for (const w of plan.warnings) ctx.err(`Warning: ${w}\n`);
  // Every pod at once, as kubectl: budgets, not drain, decide how many go together.
  const results = await Promise.allSettled(plan.evict.map((pod) => removePod(ctx, pod, settings)));
  const errors = results.flatMap((r) => (r.status === "rejected" ? [r.reason as unknown] : []));
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new KpctlError(`[${errors.map((e) => (e instanceof Error ? e.message : String(e))).join(", ")}]`, "EDRAIN");
}

/** Evicts (or deletes) one pod, retrying while a budget refuses, then waits until it is gone. */
async function removePod(ctx: CommandContext, pod: DrainPod, settings: DrainSettings): Promise<void> {
  const namespace = pod.metadata?.namespace ?? "";
  const name = pod.metadata?.name ?? "";
  const uid = pod.metadata?.uid ?? "";
  const client = ctx.client();
  if (settings.disableEviction) {
    await client.json.delete(pods, namespace, name, settings.gracePeriodSeconds === undefined ? {} : { gracePeriodSeconds: settings.gracePeriodSeconds }).catch(ignoreNotFound);
  } else {
    if (!client.evict) throw new KpctlError("this client cannot evict pods; use --disable-eviction", "ENOEVICT");
    ctx.out(`evicting pod ${namespace}/${name}\n`);
    for (;;) {
      try {
        await client.evict(namespace, name, { ...(settings.gracePeriodSeconds === undefined ? {} : { gracePeriodSeconds: settings.gracePeriodSeconds }), uid });
        break;
      } catch (err) {
        if (isNotFound(err)) return;
        if (!apiErrors.isApiError(err) || err.reason !== "TooManyRequests") throw err;
        ctx.err(`error when evicting pods/"${name}" -n "${namespace}" (will retry after ${EVICTION_RETRY_MS / 1000}s): ${err.message}\n`);
        await pause(ctx, EVICTION_RETRY_MS, settings, `${namespace}/${name}`);
      }
    }
  }
  await waitDeleted(ctx, namespace, name, uid, settings);
  ctx.out(`pod/${name} ${settings.disableEviction ? "deleted" : "evicted"}\n`);
}

async function waitDeleted(ctx: CommandContext, namespace: string, name: string, uid: string, settings: DrainSettings): Promise<void> {
  for (;;) {
    try {
      const now = (await ctx.client().json.get(pods, namespace, name)) as JsonObject & { metadata?: { uid?: string } };
      if (now.metadata?.uid !== uid) return;
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    await pause(ctx, DELETION_POLL_MS, settings, `${namespace}/${name}`);
  }
}

/** Waits `ms`, but not past the drain's deadline (DrainTimeoutError) nor past Ctrl-C. */
async function pause(ctx: CommandContext, ms: number, settings: DrainSettings, pod: string): Promise<void> {
  const left = settings.deadline - Date.now();
  if (left <= 0) throw new DrainTimeoutError(pod, ctx.flags.string("timeout") ?? "");
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, Math.min(ms, left));
    ctx.io.signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
  if (ctx.io.signal?.aborted) throw new KpctlError("drain interrupted", "EINTR");
}

function ignoreNotFound(err: unknown): undefined {
  if (isNotFound(err)) return undefined;
  throw err;
}
