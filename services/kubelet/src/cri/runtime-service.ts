// The kubelet's RuntimeService over the CRI runtime.v1 gRPC API (containerd, CRI-O, … by socket).
import { Metadata } from "@grpc/grpc-js";
import type * as cri from "../gen/runtime/v1/api.js";
import type {
  ContainerConfig,
  ContainerFilter,
  ContainerStats,
  ContainerStatus,
  ContainerSummary,
  ExecSyncResult,
  PodSandboxConfig,
  PodSandboxFilter,
  PodSandboxStatus,
  PodSandboxSummary,
  RuntimeCondition,
  RuntimeService,
  RuntimeVersion,
} from "../runtime/types.js";
import {
  fromCriContainer,
  fromCriContainerStats,
  fromCriContainerStatus,
  fromCriSandbox,
  fromCriSandboxStatus,
} from "./from-cri.js";
import type { ResolvedCriClientOptions } from "./options.js";
import { toCriContainerConfig, toCriContainerFilter, toCriSandboxConfig, toCriSandboxFilter } from "./to-cri.js";
import { unary, type UnaryMethod } from "./unary.js";

/** The CRI API version this client speaks (VersionRequest.version). */
const CRI_API_VERSION = "v1";


/**
 * RuntimeService over one gRPC channel. Methods may be called concurrently; each call has its own
 * deadline (ExecSync and StopContainer: their timeout plus the ordinary deadline) and rejects with
 * CriError. Does not retry: callers reconcile and try again.
 */
export class CriRuntimeService implements RuntimeService {
  readonly #client: cri.RuntimeServiceClient;
  readonly #opts: ResolvedCriClientOptions;

  constructor(client: cri.RuntimeServiceClient, opts: ResolvedCriClientOptions) {
    this.#client = client;
    this.#opts = opts;
  }

  #call<Req, Res>(rpc: string, method: UnaryMethod<Req, Res>, request: Req, timeoutMs = this.#opts.timeoutMs): Promise<Res> {
    return unary(rpc, method.bind(this.#client), new Metadata(), request, timeoutMs);
  }

  async version(): Promise<RuntimeVersion> {
    const reply = await this.#call("Version", this.#client.version, { version: CRI_API_VERSION });
    return { runtimeName: reply.runtimeName, runtimeVersion: reply.runtimeVersion, runtimeApiVersion: reply.runtimeApiVersion };
  }

  /** The runtime's conditions (CRI Status): not in RuntimeService, for the node's Ready condition. */
  async status(): Promise<RuntimeCondition[]> {
    const reply = await this.#call("Status", this.#client.status, { verbose: false });
    return (reply.status?.conditions ?? []).map((c) => ({ type: c.type, status: c.status, reason: c.reason, message: c.message }));
  }

  async runPodSandbox(config: PodSandboxConfig, runtimeHandler = ""): Promise<string> {
    const reply = await this.#call("RunPodSandbox", this.#client.runPodSandbox, { config: toCriSandboxConfig(config), runtimeHandler });
    return reply.podSandboxId;
  }

  async stopPodSandbox(podSandboxId: string): Promise<void> {
    await this.#call("StopPodSandbox", this.#client.stopPodSandbox, { podSandboxId });
  }

  async removePodSandbox(podSandboxId: string): Promise<void> {
    await this.#call("RemovePodSandbox", this.#client.removePodSandbox, { podSandboxId });
  }

  async podSandboxStatus(podSandboxId: string): Promise<PodSandboxStatus> {
    const reply = await this.#call("PodSandboxStatus", this.#client.podSandboxStatus, { podSandboxId, verbose: false });
    if (!reply.status) throw new Error(`CRI PodSandboxStatus returned no status for ${podSandboxId}`);
    return fromCriSandboxStatus(reply.status);
  }

  async listPodSandbox(filter?: PodSandboxFilter): Promise<PodSandboxSummary[]> {
    const reply = await this.#call("ListPodSandbox", this.#client.listPodSandbox, { filter: filter && toCriSandboxFilter(filter) });
    return reply.items.map(fromCriSandbox);
  }

  async createContainer(podSandboxId: string, config: ContainerConfig, sandboxConfig: PodSandboxConfig): Promise<string> {
    const request = { podSandboxId, config: toCriContainerConfig(config, sandboxConfig), sandboxConfig: toCriSandboxConfig(sandboxConfig) };
    return (await this.#call("CreateContainer", this.#client.createContainer, request)).containerId;
  }

  async startContainer(containerId: string): Promise<void> {
    await this.#call("StartContainer", this.#client.startContainer, { containerId });
  }

  async stopContainer(containerId: string, timeoutSeconds: number): Promise<void> {
    const deadline = timeoutSeconds * 1000 + this.#opts.timeoutMs;
    await this.#call("StopContainer", this.#client.stopContainer, { containerId, timeout: BigInt(Math.trunc(timeoutSeconds)) }, deadline);
  }

  async removeContainer(containerId: string): Promise<void> {
    await this.#call("RemoveContainer", this.#client.removeContainer, { containerId });
  }

  async listContainers(filter?: ContainerFilter): Promise<ContainerSummary[]> {
    const reply = await this.#call("ListContainers", this.#client.listContainers, { filter: filter && toCriContainerFilter(filter) });
    return reply.containers.map(fromCriContainer);
  }

  async containerStatus(containerId: string): Promise<ContainerStatus> {
    const reply = await this.#call("ContainerStatus", this.#client.containerStatus, { containerId, verbose: false });
    if (!reply.status) throw new Error(`CRI ContainerStatus returned no status for ${containerId}`);
    return fromCriContainerStatus(reply.status);
  }

  async execSync(containerId: string, cmd: string[], timeoutSeconds: number): Promise<ExecSyncResult> {
    const deadline = timeoutSeconds > 0 ? timeoutSeconds * 1000 + this.#opts.timeoutMs : Infinity;
    const request = { containerId, cmd, timeout: BigInt(Math.trunc(timeoutSeconds)) };
    const reply = await this.#call("ExecSync", this.#client.execSync, request, deadline);
    return { stdout: reply.stdout, stderr: reply.stderr, exitCode: reply.exitCode };
  }

  async exec(containerId: string, cmd: string[], opts: { stdin: boolean; stdout: boolean; stderr: boolean; tty: boolean }): Promise<string> {
    return (await this.#call("Exec", this.#client.exec, { containerId, cmd, ...opts })).url;
  }

  async attach(containerId: string, opts: { stdin: boolean; stdout: boolean; stderr: boolean; tty: boolean }): Promise<string> {
    return (await this.#call("Attach", this.#client.attach, { containerId, ...opts })).url;
  }

  async portForward(podSandboxId: string, ports: number[]): Promise<string> {
    return (await this.#call("PortForward", this.#client.portForward, { podSandboxId, port: ports })).url;
  }

  async containerStats(containerId: string): Promise<ContainerStats> {
    const reply = await this.#call("ContainerStats", this.#client.containerStats, { containerId });
    if (!reply.stats) throw new Error(`CRI ContainerStats returned no stats for ${containerId}`);
    return fromCriContainerStats(reply.stats);
  }

  async listContainerStats(filter?: { podSandboxId?: string }): Promise<ContainerStats[]> {
    const request = { filter: { id: "", podSandboxId: filter?.podSandboxId ?? "", labelSelector: {} } };
    return (await this.#call("ListContainerStats", this.#client.listContainerStats, request)).stats.map(fromCriContainerStats);
  }
}
