// Starting one container: its image, environment, mounts, resources and labels become a CRI
// container config; then create, start and the postStart hook (a failed hook kills it), each
// recorded as the kubelet's events (Created, Started, Failed).
import type { coreV1Pod } from "@kubeplane/api";
import type { EventType } from "@kubeplane/client";
import type { Logger } from "@kubeplane/service-kit";
import { containerLogPath, LABELS } from "../paths.js";
import type { ContainerStatus, PodSandboxConfig, RuntimeService } from "../runtime/types.js";
import { expandArgs, resolveEnv, type EnvContext } from "../container/env.js";
import { linuxResources } from "../container/resources.js";
import { containerMounts, type VolumeContext } from "../container/volumes.js";
import { runAction } from "../probe/action.js";
import { EVENT_REASONS, type PodEventRecorder } from "../events.js";
import type { ImagePuller } from "./images.js";
import { ANNOTATIONS, restartCountOf } from "./runtime-state.js";
import type { WaitingReason } from "./status.js";
import { timed, type PhaseTrace } from "./startup-trace.js";

type Pod = coreV1Pod.Pod;
type Container = coreV1Pod.Container;

export interface ContainerStarterDeps {
  runtime: RuntimeService;
  puller: ImagePuller;
  logger: Logger;
  /** ConfigMaps, Secrets (env and volumes), PVCs and PVs (volumes). */
  volumeContext: VolumeContext;
  /** `podIps`: the pod's addresses, primary first (status.podIP is the first, status.podIPs all). */
  envContext: (pod: Pod, podIps: readonly string[]) => EnvContext;
  /** Where the container's events go (image pulls, created, started, failures). */
  events: PodEventRecorder;
}

export interface PodStartContext {
  pod: Pod;
  sandboxId: string;
  sandboxConfig: PodSandboxConfig;
  podIp: string;
  /** Every address of the pod, podIp first (dual stack: IPv4 and IPv6). */
  podIps: readonly string[];
  volumes: Map<string, string>;
  etcHosts: string;
  /** Times the image check, create and start (a pod's first start). */
  trace?: PhaseTrace;
}

/** The container runs (`id`), or it waits for a reason and should be retried after `retryAfterMs`. */
export type StartResult = { id: string } | { waiting: WaitingReason; retryAfterMs: number };

/** How long a start that failed for a configuration reason waits before the next pass tries again. */
const CONFIG_RETRY_MS = 2_000;

/** Creates and starts a new attempt of container c in the pod's sandbox. */
export async function startContainer(deps: ContainerStarterDeps, ctx: PodStartContext, c: Container, previous: ContainerStatus | undefined): Promise<StartResult> {
  const { pod } = ctx;
  const uid = pod.metadata!.uid;
  const record = (type: EventType, reason: string, message: string): void => deps.events(pod, type, reason, message, c.name);
  const failed = (reason: string, message: string, retryAfterMs = CONFIG_RETRY_MS): StartResult => {
    record("Warning", EVENT_REASONS.FailedToCreateContainer, `Error: ${message}`);
    return { waiting: { reason, message }, retryAfterMs };
  };
  const image = await timed(ctx.trace, "image", () => deps.puller.ensure(c, `${uid}/${c.name}`, record));
  if ("waiting" in image) {
    // As the kubelet: the waiting reason itself is the error ("Error: ImagePullBackOff").
    record("Warning", EVENT_REASONS.FailedToCreateContainer, `Error: ${image.waiting.reason}`);
    return image;
  }

  let envs;
  try {
    envs = await resolveEnv(pod, c, deps.envContext(pod, ctx.podIps));
  } catch (err) {
    return failed("CreateContainerConfigError", (err as Error).message);
  }
  const restartCount = previous ? restartCountOf(previous) + 1 : 0;
  const runAsUser = c.securityContext?.runAsUser ?? pod.spec?.securityContext?.runAsUser;
  let id: string;
  try {
    id = await timed(ctx.trace, "container_create", () => deps.runtime.createContainer(
      ctx.sandboxId,
      {
        metadata: { name: c.name, attempt: restartCount },
        image: c.image,
        command: expandArgs(c.command, envs),
        args: expandArgs(c.args, envs),
        workingDir: c.workingDir,
        envs,
        mounts: containerMounts(c, ctx.volumes, pod.spec?.hostNetwork ? undefined : ctx.etcHosts, { env: envs }),
        logPath: containerLogPath(c.name, restartCount),
        labels: { [LABELS.podUid]: uid, [LABELS.podName]: pod.metadata!.name, [LABELS.podNamespace]: pod.metadata!.namespace, [LABELS.containerName]: c.name },
        annotations: { [ANNOTATIONS.restartCount]: String(restartCount) },
        stdin: c.stdin,
        tty: c.tty,
        linux: { resources: linuxResources(c), ...(runAsUser !== undefined ? { runAsUser } : {}) },
      },
      ctx.sandboxConfig,
    ));
  } catch (err) {
    deps.puller.forgetImage(c.image);
    return failed("CreateContainerError", (err as Error).message);
  }
  record("Normal", EVENT_REASONS.CreatedContainer, `Created container ${c.name}`);
  try {
    await timed(ctx.trace, "container_start", () => deps.runtime.startContainer(id));
  } catch (err) {
    await deps.runtime.removeContainer(id).catch(() => undefined);
    return failed("RunContainerError", (err as Error).message);
  }
  record("Normal", EVENT_REASONS.StartedContainer, `Started container ${c.name}`);
  const hook = c.lifecycle?.postStart;
  if (hook) {
    const outcome = await runAction(hook, { runtime: deps.runtime, containerId: id, podIp: ctx.podIp, timeoutMs: 30_000, ports: c.ports }).catch((err: Error) => ({
      result: "failure" as const,
      output: err.message,
    }));
    if (outcome.result !== "success") {
      deps.logger.warn({ pod: pod.metadata!.name, namespace: pod.metadata!.namespace, container: c.name, output: outcome.output }, "postStart hook failed: killing the container");
      record("Warning", EVENT_REASONS.FailedPostStartHook, `PostStartHook failed: ${outcome.output}`);
      await deps.runtime.stopContainer(id, 0).catch(() => undefined);
      return { waiting: { reason: "PostStartHookError", message: outcome.output }, retryAfterMs: 0 };
    }
  }
  return { id };
}
