// `kpctl scale KIND NAME --replicas=N`: sets replicas through the scale subresource, optionally only if the current count matches.
import { isConflict, type KindInfo } from "@kubeplane/api";
import { UsageError } from "../args.js";
import { errorLine, isConnectionFailure, KpctlError } from "../errors.js";
import { resourceRequests } from "../kind-args.js";
import { objectRef, qualifiedResource } from "../resource-names.js";
import type { Command, CommandContext } from "./command.js";

const MAX_CONFLICT_RETRIES = 5;
const SCALABLE = new Set(["apps/deployments", "apps/replicasets", "apps/statefulsets", "/replicationcontrollers"]);

interface ScaleRequest {
  replicas: number;
  /** --current-replicas: scale only if spec.replicas is this; -1 skips the check. */
  currentReplicas: number;
  /** --resource-version: scale only if the object is at this version; no retry on Conflict. */
  resourceVersion?: string;
}

function count(flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n)) throw new UsageError(`invalid argument "${text}" for "--${flag}" flag: must be an integer`);
  return n;
}

function scaleRequest(ctx: CommandContext): ScaleRequest {
  const replicas = count("replicas", ctx.flags.string("replicas"), -1);
  if (replicas < 0) throw new UsageError("The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0");
  return {
    replicas,
    currentReplicas: count("current-replicas", ctx.flags.string("current-replicas"), -1),
    resourceVersion: ctx.flags.string("resource-version") || undefined,
  };
}

/** kubectl's ScaleSimple: unconditional without preconditions, else read-check-write with the read's resourceVersion. */
async function scaleOne(ctx: CommandContext, info: KindInfo, name: string, req: ScaleRequest): Promise<void> {
  const client = ctx.client();
  const namespace = ctx.settings.namespace;
  if (req.currentReplicas < 0 && !req.resourceVersion) {
    await client.updateScale(info, namespace, name, req.replicas);
    return;
  }
  for (let attempt = 0; ; attempt++) {
    const scale = await client.getScale(info, namespace, name);
    const current = scale.spec?.replicas ?? 0;
    if (req.currentReplicas >= 0 && current !== req.currentReplicas) {
      throw new KpctlError(`Expected replicas to be ${req.currentReplicas}, was ${current}`, "EPRECONDITION");
    }
    try {
      await client.updateScale(info, namespace, name, req.replicas, req.resourceVersion ?? scale.metadata?.resourceVersion);
      return;
    } catch (err) {
      // An explicit --resource-version is the operator's precondition: a Conflict is the answer, not a race to retry.
      if (!isConflict(err) || req.resourceVersion || attempt >= MAX_CONFLICT_RETRIES) throw err;
    }
  }
}

export const scaleCommand: Command = {
  name: "scale",
  summary: "Set a new size for a deployment, replica set, replication controller, or stateful set.",
  usage: "kpctl scale [--resource-version=version] [--current-replicas=count] --replicas=COUNT (TYPE NAME | TYPE/NAME) [options]",
  examples: [
    "  # Scale a deployment named web to 3",
    "  kpctl scale --replicas=3 deployment/web",
    "",
    "  # If the stateful set db has 2 replicas, scale it to 3",
    "  kpctl scale --current-replicas=2 --replicas=3 statefulset db",
  ].join("\n"),
  flags: [
    { name: "replicas", type: "string", value: "COUNT", description: "The new desired number of replicas. Required." },
    { name: "current-replicas", type: "string", default: "-1", description: "Precondition for the current size: scale only if it matches (-1 for no condition)." },
    { name: "resource-version", type: "string", description: "Precondition for the resource version: scale only if it matches." },
  ],
  async run(ctx) {
    const req = scaleRequest(ctx);
    const requests = resourceRequests(ctx.args);
    if (requests.some((r) => r.names.length === 0)) throw new UsageError("resource(s) were provided, but no name was specified");
    let failed = false;
    for (const { info, names } of requests) {
      if (!SCALABLE.has(`${info.group}/${info.resource}`)) {
        throw new KpctlError(`cannot scale ${qualifiedResource(info)}: only deployments, replicasets, statefulsets and replicationcontrollers have a scale subresource`, "ENOTSCALABLE");
      }
      for (const name of names) {
        try {
          await scaleOne(ctx, info, name, req);
          ctx.out(`${objectRef(info, name)} scaled\n`);
        } catch (err) {
          if (isConnectionFailure(err)) throw err;
          failed = true;
          ctx.err(`${errorLine(err, ctx.settings.server)}\n`);
        }
      }
    }
    return failed ? 1 : 0;
  },
};
