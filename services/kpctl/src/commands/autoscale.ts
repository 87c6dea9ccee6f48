// `kpctl autoscale (TYPE NAME | TYPE/NAME) --max=N [--min=N] [--cpu-percent=N]`: creates a HorizontalPodAutoscaler for a scalable workload, as kubectl autoscale.
import { kindFor, type KindInfo } from "@kubeplane/api";
import { UsageError } from "../args.js";
import { resourceRequests } from "../kind-args.js";
import { objectRef } from "../resource-names.js";
import type { Command } from "./command.js";
import { dryRunMode, DRY_RUN_FLAG } from "./shared-flags.js";

const hpas = kindFor("autoscaling/v2", "HorizontalPodAutoscaler") as KindInfo;

function intFlag(flag: string, text: string | undefined): number | undefined {
  if (text === undefined || text === "" || text === "-1") return undefined;
  const n = Number(text);
  if (!Number.isInteger(n)) throw new UsageError(`invalid argument "${text}" for "--${flag}" flag: must be an integer`);
  return n;
}

/** The HPA kubectl autoscale creates: named after the target, min only when given, a cpu Utilization metric only when --cpu-percent is. */
export function autoscaler(target: KindInfo, name: string, namespace: string, opts: { min?: number | undefined; max: number; cpuPercent?: number | undefined; hpaName?: string | undefined }): Record<string, unknown> {
  return {
    apiVersion: "autoscaling/v2",
    kind: "HorizontalPodAutoscaler",
    metadata: { name: opts.hpaName || name, namespace },
    spec: {
      scaleTargetRef: { apiVersion: target.apiVersion, kind: target.kind, name },
      ...(opts.min !== undefined ? { minReplicas: opts.min } : {}),
      maxReplicas: opts.max,
      ...(opts.cpuPercent !== undefined ? { metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: opts.cpuPercent } } }] } : {}),
    },
  };
}

export const autoscaleCommand: Command = {
  name: "autoscale",
  summary: "Auto-scale a deployment, replica set, stateful set, or replication controller.\nCreates a HorizontalPodAutoscaler that scales the workload between --min and --max replicas.",
  usage: "kpctl autoscale (TYPE NAME | TYPE/NAME) [--min=MINPODS] --max=MAXPODS [--cpu-percent=CPU] [--name=NAME] [options]",
  examples: ["  # Keep deployment web between 2 and 10 pods, targeting 80% CPU of their requests", "  kpctl autoscale deployment web --min=2 --max=10 --cpu-percent=80"].join("\n"),
  flags: [
    { name: "min", type: "string", description: "The lower limit for the number of pods (unset: the server's default, 1)." },
    { name: "max", type: "string", description: "The upper limit for the number of pods. Required." },
    { name: "cpu-percent", type: "string", description: "The target average CPU utilization (percent of request) over all the pods (unset: the server's default, 80%)." },
    { name: "name", type: "string", description: "The name of the autoscaler (default: the workload's)." },
    DRY_RUN_FLAG,
  ],
  async run(ctx) {
    const requests = resourceRequests(ctx.args);
    const max = intFlag("max", ctx.flags.string("max"));
    if (max === undefined || max < 1) throw new UsageError("--max=MAXPODS is required and must be at least 1");
    const min = intFlag("min", ctx.flags.string("min"));
    if (min !== undefined && min > max) throw new UsageError(`--max=MAXPODS must be larger or equal to --min=MINPODS, not ${max} < ${min}`);
    const cpuPercent = intFlag("cpu-percent", ctx.flags.string("cpu-percent"));
    const dryRun = dryRunMode(ctx.flags);
    for (const { info, names } of requests) {
      if (!info.hasScale) throw new UsageError(`cannot autoscale a ${info.kind}: it has no scale subresource`);
      for (const name of names) {
        const namespace = ctx.settings.namespace;
        // The target must exist, as kubectl reads it first.
        await ctx.client().json.get(info, namespace, name, { signal: ctx.io.signal });
        const hpa = autoscaler(info, name, namespace, { min, max, cpuPercent, hpaName: ctx.flags.string("name") });
        if (dryRun !== "client") await ctx.client().json.create(hpas, hpa, { dryRun: dryRun === "server", signal: ctx.io.signal });
        ctx.out(`${objectRef(hpas, String((hpa.metadata as { name: string }).name))} autoscaled${dryRun === "server" ? " (server dry run)" : dryRun === "client" ? " (dry run)" : ""}\n`);
      }
    }
    return 0;
  },
};
