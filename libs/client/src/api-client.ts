// The apiserver's gRPC client: every verb of the generic API, typed (protobuf) and as Kubernetes JSON.
import { readFileSync } from "node:fs";
import type { Duplex } from "node:stream";
import { CallCredentials, ChannelCredentials, Metadata, type CallOptions, type ClientReadableStream, type ServiceError } from "@grpc/grpc-js";
import { ApiError, apiErrorFromGrpc, apiErrors, apiserverV1, autoscalingV2Scale, coreV1Event, coreV1Pod, kindFor, policyV1, type ApiObject, type KindInfo, type kubeletV1 } from "@kubeplane/api";
import { tracingInterceptor } from "./trace-context.js";
import { podStreamMetadata, portForwardStream, remoteCommandSession, type PodStreamOptions, type PodStreamOutput, type PodStreamSession } from "./pod-streams.js";
import { warningInterceptor } from "./warnings.js";
import { apiserverTarget } from "./apiserver-target.js";
import { createTokenRequest, tokenOfReply, type ServiceAccountToken, type TokenRequestOptions } from "./service-account-token.js";
import { logChunks, podLogsRequest, streamChunks, type NodeStatsSummary, type PodExecOptions, type PodExecResult, type PodLogOptions } from "./pod-subresources.js";
import type {
  DeleteOptions,
  DeleteResult,
  JsonObject,
  ListOptions,
  ListResult,
  WatchEvent,
  WatchEventType,
  WatchOptions,
  WriteOptions,
} from "./types.js";

const { ApiServerServiceClient, Encoding } = apiserverV1;
type Encoding = apiserverV1.Encoding;
type RawObject = apiserverV1.RawObject;
type Scale = autoscalingV2Scale.Scale;

/** One binding of `ApiClient.bindPods`: pod `namespace/pod` (of UID `uid` when given) onto `node`. */
export interface PodBindingRequest {
  namespace: string;
  pod: string;
  node: string;
  uid?: string;
}

export interface ClientOptions {
  /** host:port of an apiserver's gRPC endpoint, or several IP:PORT comma-separated (fails over, see apiserverTarget). */
  server: string;
  /** Default: TLS from caFile (+ certFile/keyFile for client auth) when given, else plaintext. */
  credentials?: ChannelCredentials;
  caFile?: string | undefined;
  certFile?: string | undefined;
  keyFile?: string | undefined;
  /** A bearer token (ServiceAccount or bootstrap token) sent with every call; needs TLS (caFile). */
  token?: string | undefined;
  /** Deadline of unary calls; default 30 s. */
  timeoutMs?: number;
  /** Sent as user-agent, shown in the apiserver's logs. */
  userAgent?: string;
  /**
   * Act as this user (and groups): sent as impersonate-user / impersonate-group metadata with every
   * call; the apiserver allows it only when the caller may `impersonate` them. Needs TLS.
   */
  impersonate?: { user: string; groups?: string[] } | undefined;
  /** Called with each warning the apiserver sends with a response (admission's, Kubernetes' `Warning` headers); default: ignored. */
  onWarning?: ((text: string) => void) | undefined;
}

/** How one side of the API encodes objects: protobuf for typed callers, JSON for manifests. */
interface Codec<T> {
  encoding: Encoding;
  encode(info: KindInfo, obj: T): Buffer;
  decode(info: KindInfo, raw: RawObject | undefined): T;
}

function rawData(raw: RawObject | undefined): Uint8Array {
  if (!raw) throw apiErrors.internalError(new Error("the apiserver replied without an object"));
  return raw.data;
}

/** Protobuf bytes as the Buffer the generated messages carry, without copying. */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

const protobufCodec: Codec<ApiObject> = {
  encoding: Encoding.ENCODING_PROTOBUF,
  encode: (info, obj) => asBuffer(info.codec.encode(obj).finish()),
  decode: (info, raw) => info.codec.decode(rawData(raw)),
};

const jsonCodec: Codec<JsonObject> = {
  encoding: Encoding.ENCODING_JSON,
  encode: (_info, obj) => Buffer.from(JSON.stringify(obj)),
  decode: (_info, raw) => JSON.parse(Buffer.from(rawData(raw)).toString("utf8")) as JsonObject,
};

function resourceOf(info: KindInfo): apiserverV1.Resource {
  return { group: info.group, version: info.version, resource: info.resource };
}

function namespaceOf(info: KindInfo, obj: unknown): string {
  return info.namespaced ? ((obj as { metadata?: { namespace?: string } }).metadata?.namespace ?? "") : "";
}

/**
 * One verb set over one encoding. `ApiClient` exposes it twice: typed (`client.create(kind, pod)`)
 * and JSON (`client.json.create(kind, manifest)`). Every method rejects with an `ApiError`
 * carrying the apiserver's Status (use `isNotFound`, `isConflict`, … from @kubeplane/api).
 */
export class Verbs<Obj> {
  constructor(
    private readonly client: apiserverV1.ApiServerServiceClient,
    private readonly codec: Codec<Obj>,
    protected readonly timeoutMs: number,
  ) {}

  protected unary<Req, Res>(
    method: (req: Req, md: Metadata, opts: Partial<CallOptions>, cb: (err: ServiceError | null, res: Res) => void) => { cancel(): void },
    request: Req,
    signal?: AbortSignal,
    timeoutMs: number = this.timeoutMs,
  ): Promise<Res> {
    return new Promise<Res>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason as Error);
        return;
      }
      const call = method.call(this.client, request, new Metadata(), { deadline: Date.now() + timeoutMs }, (err, res) => {
        signal?.removeEventListener("abort", onAbort);
        if (err) reject(apiErrorFromGrpc(err));
        else resolve(res);
      });
      const onAbort = (): void => call.cancel();
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  async create(info: KindInfo, obj: Obj, opts: WriteOptions = {}): Promise<Obj> {
    return this.writeWhole(this.client.create, info, obj, opts);
  }

  async get(info: KindInfo, namespace: string, name: string, opts: { signal?: AbortSignal } = {}): Promise<Obj> {
    const reply = await this.unary(this.client.get, {
      resource: resourceOf(info),
      namespace: info.namespaced ? namespace : "",
      name,
      accept: this.codec.encoding,
    }, opts.signal);
    return this.codec.decode(info, reply.object);
  }

  async list(info: KindInfo, opts: ListOptions = {}): Promise<ListResult<Obj>> {
    const reply = await this.unary(this.client.list, {
      resource: resourceOf(info),
      namespace: info.namespaced ? (opts.namespace ?? "") : "",
      labelSelector: opts.labelSelector ?? "",
      fieldSelector: opts.fieldSelector ?? "",
      limit: opts.limit ?? 0,
      continueToken: opts.continueToken ?? "",
      accept: this.codec.encoding,
    }, opts.signal);
    return {
      items: reply.items.map((raw) => this.codec.decode(info, raw)),
      resourceVersion: reply.resourceVersion,
      continueToken: reply.continueToken || undefined,
      remainingItemCount: reply.remainingItemCount,
    };
  }

  /** Every page of a list, read at one revision. */
  async listAll(info: KindInfo, opts: Omit<ListOptions, "continueToken"> = {}): Promise<ListResult<Obj>> {
    const items: Obj[] = [];
    let page = await this.list(info, { limit: 500, ...opts });
    const resourceVersion = page.resourceVersion;
    items.push(...page.items);
    while (page.continueToken) {
      page = await this.list(info, { limit: 500, ...opts, continueToken: page.continueToken });
      items.push(...page.items);
    }
    return { items, resourceVersion };
  }

  async update(info: KindInfo, obj: Obj, opts: WriteOptions = {}): Promise<Obj> {
    return this.writeWhole(this.client.update, info, obj, opts);
  }

  /** Writes only the status of `obj` (the status subresource); spec and metadata changes are ignored. */
  async updateStatus(info: KindInfo, obj: Obj, opts: WriteOptions = {}): Promise<Obj> {
    return this.writeWhole(this.client.updateStatus, info, obj, opts);
  }

  /** Writes only the Approved/Denied conditions of a CertificateSigningRequest (its approval subresource). */
  async updateApproval(info: KindInfo, obj: Obj, opts: WriteOptions = {}): Promise<Obj> {
    return this.writeWhole(this.client.updateApproval, info, obj, opts);
  }

  private async writeWhole(
    method: typeof this.client.update | typeof this.client.create,
    info: KindInfo,
    obj: Obj,
    opts: WriteOptions,
  ): Promise<Obj> {
    const reply = await this.unary(method, {
      resource: resourceOf(info),
      namespace: namespaceOf(info, obj),
      object: { data: this.codec.encode(info, obj), encoding: this.codec.encoding },
      accept: this.codec.encoding,
      dryRun: opts.dryRun ?? false,
    }, opts.signal);
    return this.codec.decode(info, reply.object);
  }

  /** A JSON merge patch (RFC 7386) of the object's Kubernetes JSON; `status: true` patches the status subresource. */
  async patch(
    info: KindInfo,
    namespace: string,
    name: string,
    patch: unknown,
    opts: WriteOptions & { status?: boolean } = {},
  ): Promise<Obj> {
    const reply = await this.unary(this.client.patch, {
      resource: resourceOf(info),
      namespace: info.namespaced ? namespace : "",
      name,
      patch: Buffer.from(JSON.stringify(patch)),
      patchType: "merge",
      status: opts.status ?? false,
      accept: this.codec.encoding,
      dryRun: opts.dryRun ?? false,
    }, opts.signal);
    return this.codec.decode(info, reply.object);
  }

  async delete(info: KindInfo, namespace: string, name: string, opts: DeleteOptions = {}): Promise<DeleteResult<Obj>> {
    const reply = await this.unary(this.client.delete, {
      resource: resourceOf(info),
      namespace: info.namespaced ? namespace : "",
      name,
      gracePeriodSeconds: opts.gracePeriodSeconds,
      propagationPolicy: opts.propagationPolicy ?? "",
      preconditions: opts.preconditions,
      accept: this.codec.encoding,
      dryRun: opts.dryRun ?? false,
    }, opts.signal);
    return { object: this.codec.decode(info, reply.object), deleted: reply.deleted };
  }

  /**
   * The apiserver's Watch as an async iterable. Ends when the signal aborts (cleanly) or the
   * server ends the stream; rejects with an ApiError (e.g. Gone for a too-old resourceVersion).
   */
  async *watch(info: KindInfo, opts: WatchOptions = {}): AsyncGenerator<WatchEvent<Obj>> {
    const call: ClientReadableStream<apiserverV1.WatchEvent> = this.client.watch({
      resource: resourceOf(info),
      namespace: info.namespaced ? (opts.namespace ?? "") : "",
      labelSelector: opts.labelSelector ?? "",
      fieldSelector: opts.fieldSelector ?? "",
      resourceVersion: opts.resourceVersion ?? "",
      accept: this.codec.encoding,
      allowWatchBookmarks: opts.allowBookmarks ?? false,
    });
    const onAbort = (): void => call.cancel();
    if (opts.signal?.aborted) call.cancel();
    opts.signal?.addEventListener("abort", onAbort, { once: true });
    try {
      for await (const ev of call as AsyncIterable<apiserverV1.WatchEvent>) {
        yield { type: ev.type as WatchEventType, object: this.codec.decode(info, ev.object), revision: ev.revision };
      }
    } catch (err) {
      if (opts.signal?.aborted) return;
      throw apiErrorFromGrpc(err as ServiceError);
    } finally {
      opts.signal?.removeEventListener("abort", onAbort);
      call.cancel();
    }
  }
}

/** A connection to the apiserver. Cheap to share; close it when done. */
export class ApiClient extends Verbs<ApiObject> {
  /** The same verbs over Kubernetes JSON: the apiserver decodes, so errors carry field paths. */
  readonly json: Verbs<JsonObject>;
  private readonly grpcClient: apiserverV1.ApiServerServiceClient;

  private constructor(grpcClient: apiserverV1.ApiServerServiceClient, timeoutMs: number) {
    super(grpcClient, protobufCodec, timeoutMs);
    this.grpcClient = grpcClient;
    this.json = new Verbs(grpcClient, jsonCodec, timeoutMs);
  }

  static connect(opts: ClientOptions): ApiClient {
    let credentials =
      opts.credentials ??
      (opts.caFile
        ? ChannelCredentials.createSsl(
            readFileSync(opts.caFile),
            opts.keyFile ? readFileSync(opts.keyFile) : null,
            opts.certFile ? readFileSync(opts.certFile) : null,
          )
        : ChannelCredentials.createInsecure());
    if (opts.token) {
      const header = `Bearer ${opts.token}`;
      credentials = credentials.compose(
        CallCredentials.createFromMetadataGenerator((_params, callback) => {
          const metadata = new Metadata();
          metadata.set("authorization", header);
          callback(null, metadata);
        }),
      );
    }
    const impersonate = opts.impersonate;
    if (impersonate) {
      credentials = credentials.compose(
        CallCredentials.createFromMetadataGenerator((_params, callback) => {
          const metadata = new Metadata();
          metadata.set("impersonate-user", impersonate.user);
          for (const group of impersonate.groups ?? []) metadata.add("impersonate-group", group);
          callback(null, metadata);
        }),
      );
    }
    const client = new ApiServerServiceClient(apiserverTarget(opts.server), credentials, {
      "grpc.primary_user_agent": opts.userAgent ?? "kubeplane-client",
      "grpc.max_receive_message_length": 64 * 1024 * 1024,
      "grpc.max_send_message_length": 8 * 1024 * 1024,
      "grpc.keepalive_time_ms": 30_000,
      interceptors: [tracingInterceptor(), ...(opts.onWarning ? [warningInterceptor(opts.onWarning)] : [])],
    });
    return new ApiClient(client, opts.timeoutMs ?? 30_000);
  }

  /** Typed convenience: the kind comes from the object's apiVersion and kind. */
  kindOf(obj: ApiObject): KindInfo {
    const info = kindFor(obj.apiVersion, obj.kind);
    if (!info) throw new Error(`unknown kind ${obj.apiVersion}/${obj.kind}`);
    return info;
  }

  /** The binding subresource: assigns a pending pod to a node (what a scheduler does). */
  async bind(namespace: string, pod: string, node: string, opts: { signal?: AbortSignal; uid?: string } = {}): Promise<void> {
    const binding = coreV1Pod.Binding.fromPartial({
      apiVersion: "v1",
      kind: "Binding",
      metadata: { name: pod, namespace, uid: opts.uid ?? "" },
      target: { apiVersion: "v1", kind: "Node", name: node },
    });
    await this.unary(this.grpcClient.bind, {
      namespace,
      binding: { data: asBuffer(coreV1Pod.Binding.encode(binding).finish()), encoding: Encoding.ENCODING_PROTOBUF },
      accept: Encoding.ENCODING_PROTOBUF,
    }, opts.signal);
  }

  /**
   * Many bindings in one BindPods call (at most 128): each is authorized, admitted and applied on
   * its own, so the reply holds one outcome per binding, in order — undefined when that pod was
   * bound, else its ApiError (Conflict when already assigned, NotFound, Forbidden, …). Rejects
   * only when the call as a whole fails (transport, authorization of the call, too many bindings).
   */
  async bindPods(bindings: readonly PodBindingRequest[], opts: { signal?: AbortSignal } = {}): Promise<(ApiError | undefined)[]> {
    // One namespace for all: the call is authorized in it alone, so a namespaced binder may use it too.
    const namespace = bindings.every((b) => b.namespace === bindings[0]?.namespace) ? (bindings[0]?.namespace ?? "") : "";
    const reply = await this.unary(this.grpcClient.bindPods, {
      namespace,
      bindings: bindings.map((b) => ({
        data: asBuffer(
          coreV1Pod.Binding.encode(
            coreV1Pod.Binding.fromPartial({
              apiVersion: "v1",
              kind: "Binding",
              metadata: { name: b.pod, namespace: b.namespace, uid: b.uid ?? "" },
              target: { apiVersion: "v1", kind: "Node", name: b.node },
            }),
          ).finish(),
        ),
        encoding: Encoding.ENCODING_PROTOBUF,
      })),
    }, opts.signal);
    if (reply.results.length !== bindings.length) throw apiErrors.internalError(new Error(`BindPods answered ${reply.results.length} results for ${bindings.length} bindings`));
    return reply.results.map((r) => (r.status && r.status.status !== "Success" ? new ApiError(r.status) : undefined));
  }

  /**
   * Many core/v1 Events in one CreateEvents call (at most 128): each is authorized in its
   * namespace, admitted, validated and created on its own, so the reply holds one outcome per
   * event, in order — undefined when it was created, else its ApiError (AlreadyExists, Invalid,
   * Forbidden, …). Rejects only when the call as a whole fails (transport, authorization of the
   * call, too many events; MethodNotAllowed from an apiserver without the call).
   */
  async createEvents(events: readonly coreV1Event.Event[], opts: { signal?: AbortSignal } = {}): Promise<(ApiError | undefined)[]> {
    // One namespace for all: the call is authorized in it alone, so a namespaced recorder may use it too.
    const first = events[0]?.metadata?.namespace ?? "";
    const namespace = events.every((e) => (e.metadata?.namespace ?? "") === first) ? first : "";
    const reply = await this.unary(this.grpcClient.createEvents, {
      namespace,
      events: events.map((e) => ({ data: asBuffer(coreV1Event.Event.encode(e).finish()), encoding: Encoding.ENCODING_PROTOBUF })),
    }, opts.signal);
    if (reply.results.length !== events.length) throw apiErrors.internalError(new Error(`CreateEvents answered ${reply.results.length} results for ${events.length} events`));
    return reply.results.map((r) => (r.status && r.status.status !== "Success" ? new ApiError(r.status) : undefined));
  }

  async getScale(info: KindInfo, namespace: string, name: string): Promise<Scale> {
    const reply = await this.unary(this.grpcClient.getScale, { resource: resourceOf(info), namespace, name, accept: Encoding.ENCODING_PROTOBUF });
    return autoscalingV2Scale.Scale.decode(rawData(reply.object));
  }

  /** Sets spec.replicas through the scale subresource; with `resourceVersion` it is a compare-and-swap. */
  async updateScale(info: KindInfo, namespace: string, name: string, replicas: number, resourceVersion?: string): Promise<Scale> {
    const scale = autoscalingV2Scale.Scale.fromPartial({
      apiVersion: "autoscaling/v1",
      kind: "Scale",
      metadata: { name, namespace, resourceVersion: resourceVersion ?? "" },
      spec: { replicas },
    });
    const reply = await this.unary(this.grpcClient.updateScale, {
      resource: resourceOf(info),
      namespace,
      scale: { data: asBuffer(autoscalingV2Scale.Scale.encode(scale).finish()), encoding: Encoding.ENCODING_PROTOBUF },
      accept: Encoding.ENCODING_PROTOBUF,
    });
    return autoscalingV2Scale.Scale.decode(rawData(reply.object));
  }

  /**
   * The eviction subresource: deletes the pod unless its PodDisruptionBudget allows no disruption
   * now, which rejects with a TooManyRequests ApiError (retry later, as kubectl drain does).
   */
  async evict(namespace: string, name: string, opts: { gracePeriodSeconds?: number; uid?: string; dryRun?: boolean; signal?: AbortSignal } = {}): Promise<void> {
    const eviction = policyV1.Eviction.fromPartial({
      apiVersion: "policy/v1",
      kind: "Eviction",
      metadata: { name, namespace },
      deleteOptions: { gracePeriodSeconds: opts.gracePeriodSeconds, preconditions: opts.uid ? { uid: opts.uid } : undefined, dryRun: opts.dryRun ? ["All"] : [] },
    });
    await this.unary(this.grpcClient.evict, {
      namespace,
      name,
      eviction: { data: asBuffer(policyV1.Eviction.encode(eviction).finish()), encoding: Encoding.ENCODING_PROTOBUF },
      accept: Encoding.ENCODING_PROTOBUF,
    }, opts.signal);
  }

  /**
   * A container's log (the pods/log subresource, proxied to the pod's kubelet) as raw chunks.
   * With `follow` it lasts until the container stops or `signal` aborts; an abort ends the
   * iteration quietly and cancels the call. Other failures reject with an ApiError.
   */
  podLogs(namespace: string, name: string, opts: PodLogOptions = {}, signal?: AbortSignal): AsyncIterable<Buffer> {
    return logChunks(this.grpcClient.podLogs(podLogsRequest(namespace, name, opts)), signal);
  }

  /**
   * An online backup (the Backup RPC, `get` on /backup/etcd-snapshot): the metadata chunk first,
   * then etcd's snapshot in data chunks, then one with its sha256 and size (see saveBackup, which
   * checks them). An abort or an early `break` cancels the call. Rejects with an ApiError
   * (Forbidden for a caller without the permission).
   */
  backup(signal?: AbortSignal): AsyncIterable<apiserverV1.BackupChunk> {
    return streamChunks(this.grpcClient.backup({}), signal);
  }

  /**
   * Runs a command in a container (the pods/exec subresource) and resolves when it ends, with
   * its output and exit code. No deadline beyond `timeoutSeconds` (plus the client's timeout)
   * when given; `signal` cancels the call. Rejects with an ApiError (Timeout, BadRequest, …).
   */
  async podExec(namespace: string, name: string, opts: PodExecOptions, signal?: AbortSignal): Promise<PodExecResult> {
    const limitMs = opts.timeoutSeconds ? opts.timeoutSeconds * 1000 + this.timeoutMs : Infinity;
    const request: apiserverV1.PodExecRequest = {
      namespace,
      name,
      container: opts.container ?? "",
      command: opts.command,
      timeoutSeconds: opts.timeoutSeconds ?? 0,
    };
    return this.unary(this.grpcClient.podExec, request, signal, limitMs);
  }

  /**
   * An interactive exec (`create` on pods/exec): stdin, stdout, stderr and a terminal relayed
   * through the apiserver to the pod's kubelet; output goes to `output` as it arrives. See
   * PodStreamSession for the contract; `signal` cancels the session.
   */
  podExecStream(namespace: string, name: string, opts: PodStreamOptions, output: PodStreamOutput, signal?: AbortSignal): PodStreamSession {
    const session = remoteCommandSession(this.grpcClient.podExecStream(podStreamMetadata(namespace, name)), namespace, name, opts, output);
    signal?.addEventListener("abort", () => session.cancel(), { once: true });
    return session;
  }

  /** Attaches to a running container's main process (`create` on pods/attach), as podExecStream (no command). */
  podAttach(namespace: string, name: string, opts: PodStreamOptions, output: PodStreamOutput, signal?: AbortSignal): PodStreamSession {
    const session = remoteCommandSession(this.grpcClient.podAttach(podStreamMetadata(namespace, name)), namespace, name, opts, output);
    signal?.addEventListener("abort", () => session.cancel(), { once: true });
    return session;
  }

  /** One TCP connection to `port` in the pod's network namespace (`create` on pods/portforward), as a byte stream (see portForwardStream). */
  podPortForward(namespace: string, name: string, port: number): Duplex {
    return portForwardStream(this.grpcClient.podPortForward(podStreamMetadata(namespace, name)), namespace, name, port);
  }

  /** A node's stats Summary from its kubelet (nodes/proxy/stats/summary); rejects with an ApiError. */
  async nodeStats(node: string, signal?: AbortSignal): Promise<NodeStatsSummary> {
    return this.unary(this.grpcClient.nodeStats, { name: node }, signal);
  }

  /**
   * Streams an image archive (OCI layout or docker-archive tar, as chunks) to `node`'s kubelet,
   * which loads it into its container runtime; resolves with the image names it held. Rejects
   * with an ApiError (BadRequest for an archive the runtime refuses, ServiceUnavailable for an
   * unreachable kubelet). No deadline: archives may be large.
   */
  async importImages(node: string, archive: AsyncIterable<Uint8Array>, signal?: AbortSignal): Promise<string[]> {
    return new Promise<string[]>((resolve, reject) => {
      const call = this.grpcClient.nodeImportImages((err, res) => {
        signal?.removeEventListener("abort", cancel);
        if (err) reject(apiErrorFromGrpc(err));
        else resolve(res.images);
      });
      const cancel = (): void => call.cancel();
      signal?.addEventListener("abort", cancel, { once: true });
      const send = async (): Promise<void> => {
        let first = true;
        for await (const data of archive) {
          const ok = call.write({ data: asBuffer(data), node: first ? node : "" });
          first = false;
          if (!ok) await new Promise<void>((r) => call.once("drain", () => r()));
        }
        if (first) call.write({ data: Buffer.alloc(0), node });
        call.end();
      };
      send().catch((err: unknown) => {
        call.cancel();
        reject(err instanceof Error ? err : new Error(String(err)));
      });
    });
  }

  /** The images of `node`'s container runtime, from its kubelet; rejects with an ApiError. */
  async listImages(node: string, signal?: AbortSignal): Promise<kubeletV1.NodeImage[]> {
    return (await this.unary(this.grpcClient.nodeListImages, { node }, signal)).images;
  }

  /** A token of ServiceAccount `name` (serviceaccounts/token, TokenRequest); rejects with an ApiError (NotFound, Invalid, …). */
  async createToken(namespace: string, name: string, opts: TokenRequestOptions = {}, signal?: AbortSignal): Promise<ServiceAccountToken> {
    return tokenOfReply(await this.unary(this.grpcClient.createToken, createTokenRequest(namespace, name, opts), signal));
  }

  async version(): Promise<apiserverV1.VersionReply> {
    return this.unary(this.grpcClient.version, {});
  }

  /** Resolves when the channel is connected, or rejects after `timeoutMs`. */
  waitForReady(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.grpcClient.waitForReady(Date.now() + timeoutMs, (err) => (err ? reject(err) : resolve()));
    });
  }

  close(): void {
    this.grpcClient.close();
  }
}
