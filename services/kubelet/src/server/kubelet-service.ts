// The KubeletService gRPC handlers: pods on this node, container logs, exec and stats, over small interfaces the kubelet wires.
import { once } from "node:events";
import { status as GrpcStatus, type sendUnaryData, type ServerUnaryCall, type ServerWritableStream } from "@grpc/grpc-js";
import { apiErrors, chooseContainer, isApiError, toGrpcStatus, type ApiError, type kubeletV1 } from "@kubeplane/api";
import type { Logger } from "@kubeplane/service-kit";
import type { RuntimeService } from "../runtime/types.js";
import { readContainerLog } from "./container-log-reader.js";
import { logReadOptions } from "./log-request.js";
import { podOf } from "./pod-container.js";
import type { ContainerLocator, PodSource } from "./sources.js";
import type { StatsSummary } from "./stats-summary.js";

/** What the handlers read; the kubelet passes its pod manager, runtime and stats provider. */
export interface KubeletServerDeps {
  pods: PodSource;
  containers: ContainerLocator;
  runtime: Pick<RuntimeService, "execSync" | "containerStatus">;
  stats: Pick<StatsSummary, "sample">;
  logger: Logger;
  /** How often a log follower re-checks the container when the file did not change; default 1 s. */
  followPollMs?: number;
  now?: () => Date;
}

function toStatus(err: unknown, logger: Logger): ReturnType<typeof toGrpcStatus> {
  let apiError: ApiError;
  if (isApiError(err)) apiError = err;
  else {
    logger.error({ err }, "kubelet API call failed");
    apiError = apiErrors.internalError(err);
  }
  return toGrpcStatus(apiError);
}

function unary<Req, Res>(logger: Logger, work: (req: Req) => Promise<Res>) {
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>): void => {
    work(call.request).then(
      (res) => callback(null, res),
      (err: unknown) => callback(toStatus(err, logger), null),
    );
  };
}

/** Resolves on 'drain', or when the call is cancelled (so a gone reader never holds the loop). */
async function drained(call: ServerWritableStream<unknown, unknown>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return;
  await once(call, "drain", { signal }).catch(() => undefined);
}

/**
 * The KubeletService implementation but its image methods (image-import.ts). Logs are read from the container's CRI log file on this
 * node; exec runs through the runtime's ExecSync; every error is a Kubernetes Status (NotFound for
 * a pod this kubelet does not run, BadRequest for a container that is missing or not running).
 */
export function kubeletServiceHandlers(deps: KubeletServerDeps): Pick<kubeletV1.KubeletServiceServer, "listPods" | "containerLogs" | "exec" | "stats"> {
  const { logger } = deps;
  const now = deps.now ?? (() => new Date());

  async function running(id: string): Promise<boolean> {
    return (await deps.runtime.containerStatus(id)).state === "running";
  }

  return {
    listPods: unary(logger, () => Promise.resolve({ pods: deps.pods.list() })),

    containerLogs(call: ServerWritableStream<kubeletV1.ContainerLogsRequest, kubeletV1.LogChunk>): void {
      const req = call.request;
      const controller = new AbortController();
      call.on("cancelled", () => controller.abort());
      const serve = async (): Promise<void> => {
        const pod = podOf(deps.pods, req.namespace, req.pod);
        const container = chooseContainer(pod, req.container);
        const options = logReadOptions(req, now());
        const instance = await deps.containers.containerId(pod, container, req.previous);
        if (!instance) {
          throw apiErrors.badRequest(
            req.previous
              ? `previous terminated container "${container}" in pod "${req.pod}" not found`
              : `container "${container}" in pod "${req.pod}" is waiting to start: ContainerCreating`,
          );
        }
        // Following the previous instance makes no sense: it has ended.
        const follow = req.follow && !req.previous ? { isRunning: () => running(instance.id), pollMs: deps.followPollMs } : undefined;
        for await (const chunk of readContainerLog(instance.logPath, { ...options, follow }, controller.signal)) {
          if (!call.write({ data: chunk })) await drained(call, controller.signal);
        }
      };
      serve().then(
        () => {
          if (!controller.signal.aborted) call.end();
        },
        (err: unknown) => {
          if (!controller.signal.aborted) call.emit("error", toStatus(err, logger));
        },
      );
    },

    exec: unary(logger, async (req: kubeletV1.ExecRequest): Promise<kubeletV1.ExecResponse> => {
      const pod = podOf(deps.pods, req.namespace, req.pod);
      const container = chooseContainer(pod, req.container);
      if (req.command.length === 0) throw apiErrors.badRequest("you must specify at least one command for the container");
      const instance = await deps.containers.containerId(pod, container, false);
      if (!instance || !(await running(instance.id))) throw apiErrors.badRequest(`container ${container} is not running in pod ${req.pod}`);
      try {
        const result = await deps.runtime.execSync(instance.id, req.command, req.timeoutSeconds);
        return { stdout: result.stdout, stderr: result.stderr, exitCode: result.exitCode };
      } catch (err) {
        // The CRI answers DeadlineExceeded when the command outlived its timeout.
        if ((err as { code?: unknown }).code === GrpcStatus.DEADLINE_EXCEEDED) {
          throw apiErrors.apiError("Timeout", `command ${JSON.stringify(req.command.join(" "))} timed out after ${req.timeoutSeconds}s`, undefined, [], err);
        }
        throw err;
      }
    }),

    stats: unary(logger, () => deps.stats.sample()),
  };
}
