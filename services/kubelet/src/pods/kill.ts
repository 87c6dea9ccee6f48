// Stopping pods and containers gracefully: preStop hook, then SIGTERM and SIGKILL after what is
// left of the grace period (the runtime's StopContainer timeout); then the sandbox and its network.
// Each kill of a known container is recorded as the kubelet's Killing event.
import type { coreV1Pod } from "@kubeplane/api";
import type { Logger } from "@kubeplane/service-kit";
import { runAction } from "../probe/action.js";
import { EVENT_REASONS, type PodEventRecorder } from "../events.js";
import type { PodSandboxStatus, RuntimeService } from "../runtime/types.js";
import { readPodRuntimeState } from "./runtime-state.js";

type Pod = coreV1Pod.Pod;

/** How a kill is reported: where events go and, when not a plain stop, why (the Killing message). */
export interface KillEvents {
  events?: PodEventRecorder;
  /** The Killing event's message; default "Stopping container NAME". */
  message?: string;
}

/**
 * Runs c's preStop hook (bounded by the grace period), then stops it with what is left of the grace.
 * Records Killing (and FailedPreStopHook) about the pod when both pod and c are known.
 */
export async function killContainer(
  runtime: RuntimeService,
  pod: Pod | undefined,
  c: coreV1Pod.Container | undefined,
  containerId: string,
  graceSeconds: number,
  opts: { podIp: string; logger: Logger } & KillEvents,
): Promise<void> {
  const started = Date.now();
  if (pod && c) opts.events?.(pod, "Normal", EVENT_REASONS.KillingContainer, opts.message ?? `Stopping container ${c.name}`, c.name);
  const hook = c?.lifecycle?.preStop;
  if (hook && graceSeconds > 0) {
    const outcome = await runAction(hook, { runtime, containerId, podIp: opts.podIp, timeoutMs: graceSeconds * 1000, ports: c.ports }).catch((err: Error) => ({ result: "failure" as const, output: err.message }));
    if (outcome.result !== "success") {
      opts.logger.warn({ pod: pod?.metadata?.name, container: c.name, output: outcome.output }, "preStop hook failed");
      if (pod) opts.events?.(pod, "Warning", EVENT_REASONS.FailedPreStopHook, `PreStopHook failed: ${outcome.output}`, c.name);
    }
  }
  const left = Math.max(0, Math.ceil(graceSeconds - (Date.now() - started) / 1000));
  // Never 0 for a positive grace: the runtime kills at once with 0, skipping SIGTERM.
  await runtime.stopContainer(containerId, graceSeconds > 0 ? Math.max(1, left) : 0);
}

/** Stops the given sandboxes (tearing down their network); tolerates ones already gone. */
export async function stopSandboxes(runtime: RuntimeService, sandboxes: readonly PodSandboxStatus[]): Promise<void> {
  for (const s of sandboxes) await runtime.stopPodSandbox(s.id).catch(() => undefined);
}

/**
 * Kills everything the runtime runs for pod `uid`: running containers in parallel (preStop, then
 * SIGTERM, SIGKILL after the grace period), then its sandboxes; with `remove`, also removes them.
 * `pod` may be undefined for an orphan the kubelet no longer knows the spec of.
 */
export async function killPod(
  runtime: RuntimeService,
  uid: string,
  pod: Pod | undefined,
  graceSeconds: number,
  opts: { logger: Logger; remove: boolean; events?: PodEventRecorder },
): Promise<void> {
  const state = await readPodRuntimeState(runtime, uid);
  const podIp = state.sandboxes[0]?.ip ?? "";
  const specs = new Map([...(pod?.spec?.initContainers ?? []), ...(pod?.spec?.containers ?? [])].map((c) => [c.name, c]));
  await Promise.all(
    state.containers
      .filter((c) => c.state === "running" || c.state === "created")
      .map((c) => killContainer(runtime, pod, specs.get(c.metadata.name), c.id, graceSeconds, { podIp, logger: opts.logger, events: opts.events })),
  );
  await stopSandboxes(runtime, state.sandboxes);
  if (!opts.remove) return;
  for (const c of state.containers) await runtime.removeContainer(c.id).catch(() => undefined);
  for (const s of state.sandboxes) await runtime.removePodSandbox(s.id).catch(() => undefined);
}
