// Deadlines and channel settings of the CRI client, with the kubelet's defaults.
import type { ChannelOptions } from "@grpc/grpc-js";

/** Options of `connectCri`; every field has the kubelet's default. */
export interface CriClientOptions {
  /** Deadline of an ordinary call (kubelet's --runtime-request-timeout). Default 120000. */
  timeoutMs?: number;
  /** Deadline of PullImage, which downloads and unpacks. Default 600000. */
  pullTimeoutMs?: number;
}

export interface ResolvedCriClientOptions {
  timeoutMs: number;
  pullTimeoutMs: number;
}

export function resolveCriClientOptions(opts: CriClientOptions): ResolvedCriClientOptions {
  return { timeoutMs: opts.timeoutMs ?? 120_000, pullTimeoutMs: opts.pullTimeoutMs ?? 600_000 };
}

/** The kubelet's 16 MiB message cap: ExecSync replies carry up to 16 MiB of output per stream. */
const MAX_MESSAGE_BYTES = 16 * 1024 * 1024 + 1024;

export const criChannelOptions: ChannelOptions = {
  "grpc.max_receive_message_length": 2 * MAX_MESSAGE_BYTES,
  "grpc.max_send_message_length": MAX_MESSAGE_BYTES,
};

/** `unix:///run/x.sock` as given; a bare path becomes one. */
export function criTarget(endpoint: string): string {
  return endpoint.includes("://") ? endpoint : `unix://${endpoint}`;
}
