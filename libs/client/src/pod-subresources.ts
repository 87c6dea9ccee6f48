// The request and reply shapes of the apiserver's node-proxied subresources: pods/log, pods/exec and a node's stats summary.
import type { ClientReadableStream, ServiceError } from "@grpc/grpc-js";
import { apiErrorFromGrpc, type apiserverV1, type kubeletV1 } from "@kubeplane/api";

/** kubectl logs' options (PodLogOptions); unset fields take the kubelet's defaults (whole log, no timestamps). */
export interface PodLogOptions {
  /** Required when the pod has more than one container. */
  container?: string;
  /** Keep the stream open and send new lines as the container writes them. */
  follow?: boolean;
  tailLines?: number;
  sinceSeconds?: number;
  /** RFC 3339; exclusive with sinceSeconds. */
  sinceTime?: string;
  /** The log of the container's previous instance. */
  previous?: boolean;
  timestamps?: boolean;
  limitBytes?: number;
}

/** What to run in a container, and for how long at most (0 or unset: no limit). */
export interface PodExecOptions {
  /** Required when the pod has more than one container. */
  container?: string;
  command: string[];
  timeoutSeconds?: number;
}

/** The outcome of a command run to its end: its output and exit code (non-zero is not an error). */
export interface PodExecResult {
  stdout: Buffer;
  stderr: Buffer;
  exitCode: number;
}

/** The node's Summary (node and per-pod CPU and memory), as the kubelet reports it. */
export type NodeStatsSummary = kubeletV1.StatsResponse;

/** The PodLogs request for a pod with `opts`. */
export function podLogsRequest(namespace: string, name: string, opts: PodLogOptions): apiserverV1.PodLogsRequest {
  return {
    namespace,
    name,
    container: opts.container ?? "",
    follow: opts.follow ?? false,
    tailLines: opts.tailLines,
    sinceSeconds: opts.sinceSeconds,
    sinceTime: opts.sinceTime ?? "",
    previous: opts.previous ?? false,
    timestamps: opts.timestamps ?? false,
    limitBytes: opts.limitBytes,
  };
}

/**
 * The chunks of a PodLogs call. Ends at the stream's end, or quietly when `signal` aborts
 * (cancelling the call); an early `break` cancels it too. Rejects with an ApiError otherwise.
 */
export async function* logChunks(call: ClientReadableStream<kubeletV1.LogChunk>, signal?: AbortSignal): AsyncGenerator<Buffer> {
  for await (const chunk of streamChunks(call, signal)) yield chunk.data;
}

/** The messages of a server-streaming call, as logChunks: an abort or `break` cancels it, other failures reject with an ApiError. */
export async function* streamChunks<T>(call: ClientReadableStream<T>, signal?: AbortSignal): AsyncGenerator<T> {
  const onAbort = (): void => call.cancel();
  if (signal?.aborted) call.cancel();
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    for await (const chunk of call as AsyncIterable<T>) yield chunk;
  } catch (err) {
    if (signal?.aborted) return;
    throw apiErrorFromGrpc(err as ServiceError);
  } finally {
    signal?.removeEventListener("abort", onAbort);
    call.cancel();
  }
}
