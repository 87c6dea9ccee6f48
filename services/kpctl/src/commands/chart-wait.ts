// `--wait`: polls a release's workloads until Deployments, StatefulSets and DaemonSets are rolled out and Pods are Ready.
import { isNotFound } from "@kubeplane/api";
import type { JsonObject } from "@kubeplane/client";
import { sleep } from "../abortable-sleep.js";
import { KpctlError } from "../errors.js";
import { arr, num, str } from "../json-fields.js";
import type { CommandContext } from "./command.js";
import type { ReleaseObject } from "./chart-deploy.js";
import { deploymentProgress } from "./rollout-progress.js";

const POLL_MS = 1000;

/** Whether one object is ready, and the line that says what it waits for when it is not. */
export interface Readiness {
  ready: boolean;
  line: string;
}

function observed(o: JsonObject): boolean {
  return (num(o, "metadata", "generation") ?? 0) <= (num(o, "status", "observedGeneration") ?? 0);
}

/** Helm's readiness rules for the kinds it waits on; other kinds are ready once they exist. */
export function readinessOf(kind: string, o: JsonObject): Readiness {
  const name = str(o, "metadata", "name");
  switch (kind) {
    case "Deployment": {
      const p = deploymentProgress(o);
      return { ready: p.done, line: p.line };
    }
    case "StatefulSet": {
      const want = num(o, "spec", "replicas") ?? 1;
      const ready = num(o, "status", "readyReplicas") ?? 0;
      const updated = num(o, "status", "updatedReplicas") ?? 0;
      if (!observed(o)) return { ready: false, line: `Waiting for statefulset "${name}" spec update to be observed...` };
      if (updated < want) return { ready: false, line: `Waiting for statefulset "${name}": ${updated} of ${want} pods updated...` };
      return ready >= want ? { ready: true, line: `statefulset "${name}" is ready` } : { ready: false, line: `Waiting for statefulset "${name}": ${ready} of ${want} pods ready...` };
    }
    case "DaemonSet": {
      const want = num(o, "status", "desiredNumberScheduled") ?? 0;
      const updated = num(o, "status", "updatedNumberScheduled") ?? 0;
      const available = num(o, "status", "numberAvailable") ?? 0;
      if (!observed(o)) return { ready: false, line: `Waiting for daemon set "${name}" spec update to be observed...` };
      if (updated < want) return { ready: false, line: `Waiting for daemon set "${name}" rollout to finish: ${updated} out of ${want} new pods have been updated...` };
      return available >= want ? { ready: true, line: `daemon set "${name}" is ready` } : { ready: false, line: `Waiting for daemon set "${name}" rollout to finish: ${available} of ${want} updated pods are available...` };
    }
    case "Pod": {
      const readyCondition = arr(o, "status", "conditions").find((c) => str(c, "type") === "Ready");
      const done = str(o, "status", "phase") === "Succeeded" || str(readyCondition, "status") === "True";
      return { ready: done, line: done ? `pod "${name}" is ready` : `Waiting for pod "${name}" to be ready (phase ${str(o, "status", "phase") || "Pending"})...` };
    }
    default:
      return { ready: true, line: "" };
  }
}

const WAITED_KINDS = new Set(["Deployment", "StatefulSet", "DaemonSet", "Pod"]);


/**
 * Polls every object of a waited kind until all are ready, printing each new waiting line once
 * (`progress`). Throws KpctlError "timed out waiting for the condition" after `timeoutMs`, and
 * when a Deployment exceeds its progress deadline.
 */
export async function waitForRelease(ctx: CommandContext, objects: readonly ReleaseObject[], timeoutMs: number, progress: (line: string) => void): Promise<void> {
  const waited = objects.filter((o) => WAITED_KINDS.has(o.info.kind));
  const stop = new AbortController();
  const onAbort = (): void => stop.abort();
  ctx.io.signal?.addEventListener("abort", onAbort, { once: true });
  const timer = setTimeout(() => stop.abort(), timeoutMs);
  const shown = new Set<string>();
  try {
    for (;;) {
      const pending: string[] = [];
      for (const o of waited) {
        let live: JsonObject;
        try {
          live = await ctx.client().json.get(o.info, o.namespace, o.name, { signal: stop.signal });
        } catch (err) {
          if (stop.signal.aborted) break;
          if (isNotFound(err)) {
            pending.push(`Waiting for ${o.info.kind.toLowerCase()} "${o.name}" to exist...`);
            continue;
          }
          throw err;
        }
        const r = readinessOf(o.info.kind, live);
        if (!r.ready) pending.push(r.line);
      }
      if (stop.signal.aborted) break;
      for (const line of pending) {
        if (!shown.has(line)) progress(line);
        shown.add(line);
      }
      if (pending.length === 0) return;
      await sleep(POLL_MS, stop.signal);
      if (stop.signal.aborted) break;
    }
    if (ctx.io.signal?.aborted) throw new KpctlError("interrupted while waiting for the release's resources", "EINTERRUPTED");
    throw new KpctlError(`timed out waiting for the condition (${timeoutMs / 1000}s): resources not ready`, "ETIMEOUT");
  } finally {
    clearTimeout(timer);
    ctx.io.signal?.removeEventListener("abort", onAbort);
  }
}
