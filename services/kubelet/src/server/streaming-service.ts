// The KubeletService's streaming handlers: interactive exec, attach and port-forward, relayed to the container runtime's streaming server (CRI Exec/Attach/PortForward URLs, SPDY).
import { once } from "node:events";
import type { Readable } from "node:stream";
import type { ServerDuplexStream } from "@grpc/grpc-js";
import { apiErrors, chooseContainer, isApiError, toGrpcStatus, type ApiError, type coreV1Pod, type kubeletV1 } from "@kubeplane/api";
import { peerIdentity, type Logger } from "@kubeplane/service-kit";
import { startPortForward } from "../cri/streaming/port-forward.js";
import { startRemoteCommand, type RemoteCommandSession } from "../cri/streaming/remote-command.js";
import type { RuntimeService } from "../runtime/types.js";
import { podOf } from "./pod-container.js";
import type { ContainerLocator, PodSource } from "./sources.js";

/** How long a port-forward waits, once the pod's side ended, for the runtime's error stream to end (it carries the failure, if any). */
const ERROR_STREAM_GRACE_MS = 5_000;

/** The only caller these handlers serve: the apiserver's kubelet-client certificate (CN), as Kubernetes' kubelet authorizes the apiserver. */
export const APISERVER_KUBELET_CLIENT = "kube-apiserver-kubelet-client";

export interface StreamingServerDeps {
  pods: PodSource;
  containers: ContainerLocator;
  runtime: Pick<RuntimeService, "containerStatus" | "exec" | "attach" | "portForward">;
  /** The pod's ready sandbox id in the runtime, or undefined. */
  sandboxOf(pod: coreV1Pod.Pod): Promise<string | undefined>;
  logger: Logger;
  /** Whether a caller (its certificate's CN; undefined without one) may stream; default: only the apiserver's kubelet client. */
  allowCaller?: (commonName: string | undefined) => boolean;
}

type RemoteCommandCall = ServerDuplexStream<kubeletV1.RemoteCommandRequest, kubeletV1.RemoteCommandResponse>;
type PortForwardCall = ServerDuplexStream<kubeletV1.PortForwardRequest, kubeletV1.PortForwardResponse>;

function failCall(call: { emit(event: "error", err: unknown): boolean }, err: unknown, logger: Logger): void {
  let apiError: ApiError;
  if (isApiError(err)) apiError = err;
  else if (err instanceof Error && err.name === "StreamingError") apiError = apiErrors.apiError("InternalError", err.message, undefined, [], err);
  else {
    logger.error({ err }, "kubelet streaming call failed");
    apiError = apiErrors.internalError(err);
  }
  call.emit("error", toGrpcStatus(apiError));
}

/** Resolves with the call's first message (the start), or rejects when the caller ended first. */
async function firstMessage<T>(call: ServerDuplexStream<T, unknown>): Promise<T> {
  const [first] = (await Promise.race([once(call, "data"), once(call, "end").then(() => [undefined])])) as [T | undefined];
  if (first === undefined) throw apiErrors.badRequest("the stream ended before its first message");
  call.pause();
  return first;
}

/** Relays a readable to the call as replies built by `frame`, pausing on the call's backpressure. */
function relayOut<T>(source: Readable, call: ServerDuplexStream<unknown, T>, frame: (data: Buffer) => T): void {
  source.on("data", (chunk: Buffer) => {
    if (!call.write(frame(chunk))) {
      source.pause();
      call.once("drain", () => source.resume());
    }
  });
}

/**
 * ExecStream, Attach and PortForward. Every call first checks the caller (the apiserver's kubelet
 * client only: Forbidden otherwise), then waits for the first message, finds the pod and container
 * on this node (NotFound / BadRequest as the unary Exec), asks the runtime for a streaming URL and
 * relays both ways until the command or connection ends; cancelling the call closes the runtime's
 * connection.
 */
export function streamingHandlers(deps: StreamingServerDeps): Pick<kubeletV1.KubeletServiceServer, "execStream" | "attach" | "portForward"> {
  const { logger } = deps;
  const allow = deps.allowCaller ?? ((cn) => cn === APISERVER_KUBELET_CLIENT);

  function checkCaller(call: { getAuthContext(): never }): void {
    const cn = peerIdentity(call as never)?.commonName;
    if (!allow(cn)) throw apiErrors.apiError("Forbidden", `user "${cn ?? "anonymous"}" may not use the kubelet's streaming API (exec, attach, port-forward): only the apiserver's kubelet client may`);
  }

  async function containerIdOf(start: kubeletV1.RemoteCommandStart): Promise<{ id: string; container: string }> {
    const pod = podOf(deps.pods, start.namespace, start.pod);
    const container = chooseContainer(pod, start.container);
    const instance = await deps.containers.containerId(pod, container, false);
    if (!instance || (await deps.runtime.containerStatus(instance.id)).state !== "running") {
      throw apiErrors.badRequest(`container ${container} is not running in pod ${start.pod}`);
    }
    return { id: instance.id, container };
  }

  function remoteCommand(kind: "exec" | "attach") {
    return (call: RemoteCommandCall): void => {
      let session: RemoteCommandSession | undefined;
      let cancelled = false;
      call.on("cancelled", () => {
        cancelled = true;
        session?.close();
      });
      const serve = async (): Promise<void> => {
        checkCaller(call as never);
        const first = await firstMessage(call);
        const start = first.start;
        if (!start) throw apiErrors.badRequest("the first message must carry start");
        if (kind === "exec" && start.command.length === 0) throw apiErrors.badRequest("you must specify at least one command for the container");
        if (!start.stdin && !start.stdout && !start.stderr) throw apiErrors.badRequest("you must specify at least one of stdin, stdout, stderr");
        const { id } = await containerIdOf(start);
        const streams = { stdin: start.stdin, stdout: start.stdout, stderr: start.stderr && !start.tty, tty: start.tty };
        const url = kind === "exec" ? await deps.runtime.exec(id, start.command, streams) : await deps.runtime.attach(id, streams);
        const s = (session = await startRemoteCommand(url, streams));
        if (cancelled) return s.close();
        // The first message may carry the terminal's initial size and some stdin too.
        if (first.resize) s.resize(first.resize.width, first.resize.height);
        if (first.stdin.length) s.stdin?.write(first.stdin);
        if (s.stdout) relayOut(s.stdout, call, (stdout) => ({ stdout, stderr: Buffer.alloc(0) }));
        if (s.stderr) relayOut(s.stderr, call, (stderr) => ({ stdout: Buffer.alloc(0), stderr }));
        call.on("data", (msg: kubeletV1.RemoteCommandRequest) => {
          if (msg.stdin.length && s.stdin && !s.stdin.writableEnded && !s.stdin.write(msg.stdin)) {
            call.pause();
            s.stdin.once("drain", () => call.resume());
          }
          if (msg.resize) s.resize(msg.resize.width, msg.resize.height);
        });
        call.on("end", () => s.stdin?.end());
        call.resume();
        const exitCode = await s.done;
        if (!cancelled) {
          call.write({ stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), exitCode });
          call.end();
        }
      };
      serve().catch((err: unknown) => {
        session?.close();
        if (!cancelled) failCall(call, err, logger);
      });
    };
  }

  return {
    execStream: remoteCommand("exec"),
    attach: remoteCommand("attach"),

    portForward(call: PortForwardCall): void {
      let close: (() => void) | undefined;
      let cancelled = false;
      call.on("cancelled", () => {
        cancelled = true;
        close?.();
      });
      const serve = async (): Promise<void> => {
        checkCaller(call as never);
        const first = await firstMessage(call);
        if (!Number.isInteger(first.port) || first.port < 1 || first.port > 65535) throw apiErrors.badRequest(`invalid port ${first.port}: must be 1-65535`);
        const pod = podOf(deps.pods, first.namespace, first.pod);
        const sandbox = await deps.sandboxOf(pod);
        if (!sandbox) throw apiErrors.badRequest(`pod ${first.pod} has no running sandbox on this node`);
        const url = await deps.runtime.portForward(sandbox, [first.port]);
        const s = await startPortForward(url, first.port);
        close = s.close;
        if (cancelled) return s.close();
        relayOut(s.data, call, (data) => ({ data }));
        if (first.data.length) s.data.write(first.data);
        call.on("data", (msg: kubeletV1.PortForwardRequest) => {
          if (msg.data.length && !s.data.writableEnded && !s.data.write(msg.data)) {
            call.pause();
            s.data.once("drain", () => call.resume());
          }
        });
        call.on("end", () => s.data.end());
        call.resume();
        const ended = once(s.data, "end");
        await Promise.race([s.failure.then(() => ended), ended]);
        // The runtime writes a failure (nothing listening, …) on the error stream and closes it as the forwarding ends,
        // but its frames may come after the data stream's end: wait for the error stream's end, as kubectl does (bounded).
        await Promise.race([s.failure, new Promise((resolve) => setTimeout(resolve, ERROR_STREAM_GRACE_MS).unref())]);
        s.close();
        if (!cancelled) call.end();
      };
      serve().catch((err: unknown) => {
        close?.();
        if (!cancelled) failCall(call, err, logger);
      });
    },
  };
}
