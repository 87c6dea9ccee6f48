// What kpctl runs against: its streams, environment, clock and apiserver connection, injectable for tests.
import type { autoscalingV2Scale, KindInfo } from "@kubeplane/api";
import type { Duplex } from "node:stream";
import type { ClientOptions, JsonObject, NodeStatsSummary, PodExecOptions, PodExecResult, PodLogOptions, PodStreamOptions, PodStreamOutput, PodStreamSession, TokenRequestOptions, Verbs } from "@kubeplane/client";
import type { SchedulerClient } from "./scheduler-client.js";

/** The verbs kpctl uses of the client's JSON API (a structural slice, so tests can pass a fake). */
export type JsonVerbs = Pick<Verbs<JsonObject>, "create" | "get" | "list" | "listAll" | "update" | "patch" | "delete" | "watch"> &
  /** The approval subresource of CertificateSigningRequests (`kpctl certificate`); ApiClient has it, test fakes may not. */
  Partial<Pick<Verbs<JsonObject>, "updateApproval">>;

/** The part of `ApiClient` kpctl needs. `ApiClient.connect(...)` satisfies it. */
export interface KpctlClient {
  readonly json: JsonVerbs;
  version(): Promise<{ gitVersion: string; platform: string; nodeVersion?: string; etcdVersion?: string }>;
  /** The scale subresource of a deployment, replica set, stateful set or replication controller. */
  getScale(info: KindInfo, namespace: string, name: string): Promise<autoscalingV2Scale.Scale>;
  /** Sets spec.replicas through the scale subresource; with `resourceVersion` it is a compare-and-swap (Conflict otherwise). */
  updateScale(info: KindInfo, namespace: string, name: string, replicas: number, resourceVersion?: string): Promise<autoscalingV2Scale.Scale>;
  /** A container's log (pods/log); ends quietly when `signal` aborts a follow. */
  podLogs(namespace: string, name: string, opts: PodLogOptions, signal?: AbortSignal): AsyncIterable<Buffer>;
  /** Runs a command in a container (pods/exec); a non-zero exit code is a result, not an error. */
  podExec(namespace: string, name: string, opts: PodExecOptions, signal?: AbortSignal): Promise<PodExecResult>;
  /** An interactive exec (pods/exec: stdin, tty, resize, exit code); ApiClient has it, test fakes may not. */
  podExecStream?(namespace: string, name: string, opts: PodStreamOptions, output: PodStreamOutput, signal?: AbortSignal): PodStreamSession;
  /** Attaches to a container's main process (pods/attach); ApiClient has it, test fakes may not. */
  podAttach?(namespace: string, name: string, opts: PodStreamOptions, output: PodStreamOutput, signal?: AbortSignal): PodStreamSession;
  /** One connection to a pod's port (pods/portforward); ApiClient has it, test fakes may not. */
  podPortForward?(namespace: string, name: string, port: number): Duplex;
  /** A node's kubelet stats Summary (nodes/proxy/stats/summary). */
  nodeStats(node: string, signal?: AbortSignal): Promise<NodeStatsSummary>;
  /** Streams an image archive to a node's runtime (`image import`); ApiClient has it, test fakes may not. */
  importImages?(node: string, archive: AsyncIterable<Uint8Array>, signal?: AbortSignal): Promise<string[]>;
  /** A node's runtime images (`image ls`); ApiClient has it, test fakes may not. */
  listImages?(node: string, signal?: AbortSignal): Promise<{ id: string; repoTags: string[]; size: number }[]>;
  /** A ServiceAccount token (serviceaccounts/token, `create token`). ApiClient has it, test fakes may not. */
  createToken?(namespace: string, name: string, opts: TokenRequestOptions, signal?: AbortSignal): Promise<{ token: string }>;
  /** The eviction subresource (`drain`); TooManyRequests while a PodDisruptionBudget says no. ApiClient has it, test fakes may not. */
  evict?(namespace: string, name: string, opts?: { gracePeriodSeconds?: number; uid?: string; signal?: AbortSignal }): Promise<void>;
  close(): void;
}

/** Where output goes: process.stdout/stderr or a test's buffer. */
export interface OutputStream {
  write(chunk: string): unknown;
  /** True on a terminal: `rollout status` then redraws a progress bar in place instead of printing lines. */
  isTTY?: boolean;
}

/**
 * kpctl's world. `run()` never touches process globals: main.ts passes the real ones, tests pass
 * buffers and `connect` to point it at a test apiserver or a fake.
 */
export interface KpctlIo {
  stdout: OutputStream;
  stderr: OutputStream;
  /** Read only for `-f -`. */
  stdin: AsyncIterable<string | Uint8Array>;
  env: Record<string, string | undefined>;
  /** The clock for AGE columns; default `new Date()`. */
  now?: () => Date;
  /** Builds the client; default `ApiClient.connect`. Called at most once per run, lazily. */
  connect?: (opts: ClientOptions) => KpctlClient;
  /** Dials the scheduler (`explain-schedule`); default `connectScheduler`. */
  connectScheduler?: (address: string, timeoutMs?: number) => SchedulerClient;
  /** Ends long-running commands (`get -w`, waits of `delete`); main.ts aborts it on Ctrl-C. */
  signal?: AbortSignal;
  /** The terminal stdin is, if it is one (`exec -t`, `attach -t`); main.ts passes the process's. */
  terminal?: KpctlTerminal;
}

/** A controlling terminal: raw mode while a remote terminal runs, its size and resizes (SIGWINCH). */
export interface KpctlTerminal {
  setRawMode(raw: boolean): void;
  size(): { width: number; height: number };
  /** Calls `listener` on every resize until the returned function is called. */
  onResize(listener: () => void): () => void;
}
