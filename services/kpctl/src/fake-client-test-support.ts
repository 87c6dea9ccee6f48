// An in-memory stand-in for the apiserver's JSON API, for testing commands through run() without a server.
import { apiErrors, autoscalingV2Scale, type KindInfo, type kubeletV1 } from "@kubeplane/api";
import type { DeleteOptions, JsonObject, ListOptions, ListResult, WatchEvent, WatchOptions, WriteOptions } from "@kubeplane/client";
import type { JsonVerbs, KpctlClient, KpctlIo } from "./cli-io.js";
import { isRecord, num, str } from "./json-fields.js";

interface Stored {
  info: KindInfo;
  obj: JsonObject;
}

function matchesSelectors(obj: JsonObject, labelSelector?: string, fieldSelector?: string): boolean {
  const labels = ((obj.metadata as { labels?: Record<string, string> } | undefined)?.labels ?? {});
  for (const req of (labelSelector ?? "").split(",").filter(Boolean)) {
    const [k, v] = req.split("=");
    if (labels[k ?? ""] !== v) return false;
  }
  for (const req of (fieldSelector ?? "").split(",").filter(Boolean)) {
    const [path, v] = req.split("=");
    if (str(obj, ...(path ?? "").split(".")) !== v) return false;
  }
  return true;
}

/** RFC 7386 JSON merge patch, as the apiserver applies `patch`. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isRecord(patch)) return structuredClone(patch);
  const out: Record<string, unknown> = isRecord(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** A fake apiserver: objects by kind/namespace/name, resourceVersions, Conflict, NotFound, AlreadyExists, watch. */
export class FakeApi implements JsonVerbs {
  readonly store = new Map<string, Stored>();
  readonly calls: string[] = [];
  /** Events `watch` yields (after its start) before it waits for the signal. */
  readonly watchEvents: WatchEvent<JsonObject>[] = [];
  /** Makes the next `create` of a kind fail with this error. */
  failCreate?: (obj: JsonObject) => Error | undefined;
  /** Makes an `update` fail with this error (e.g. a Conflict, to test retries). */
  failUpdate?: (obj: JsonObject) => Error | undefined;
  /** What `nodeStats` answers, by node; any other node fails as an unreachable kubelet does. */
  readonly nodeSummaries = new Map<string, kubeletV1.StatsResponse>();
  private revision = 100;

  private key(info: KindInfo, ns: string, name: string): string {
    // metrics.k8s.io's nodes and pods share their resource names with core's: their keys say the group.
    const resource = info.group === "metrics.k8s.io" ? `${info.resource}.${info.group}` : info.resource;
    return `${resource}/${info.namespaced ? ns : ""}/${name}`;
  }

  private subject(info: KindInfo, name: string): { group: string; resource: string; name: string; kind: string } {
    return { group: info.group, resource: info.resource, name, kind: info.kind };
  }

  seed(info: KindInfo, obj: JsonObject): JsonObject {
    const stored = structuredClone(obj);
    const md = (stored.metadata ??= {}) as Record<string, unknown>;
    md.resourceVersion = String(++this.revision);
    md.uid ??= `uid-${this.revision}`;
    md.creationTimestamp ??= "2026-03-01T11:59:00Z";
    this.store.set(this.key(info, str(stored, "metadata", "namespace"), str(stored, "metadata", "name")), { info, obj: stored });
    return structuredClone(stored);
  }

  async create(info: KindInfo, obj: JsonObject, opts: WriteOptions = {}): Promise<JsonObject> {
    this.calls.push(`create ${info.resource} ${str(obj, "metadata", "name")}${opts.dryRun ? " dry-run" : ""}`);
    const failure = this.failCreate?.(obj);
    if (failure) throw failure;
    const name = str(obj, "metadata", "name");
    if (this.store.has(this.key(info, str(obj, "metadata", "namespace"), name))) throw apiErrors.alreadyExists(this.subject(info, name));
    return opts.dryRun ? obj : this.seed(info, obj);
  }

  async get(info: KindInfo, namespace: string, name: string): Promise<JsonObject> {
    const found = this.store.get(this.key(info, namespace, name));
    if (!found) throw apiErrors.notFound(this.subject(info, name));
    return structuredClone(found.obj);
  }

  async list(info: KindInfo, opts: ListOptions = {}): Promise<ListResult<JsonObject>> {
    const items = [...this.store.values()]
      .filter((s) => s.info === info && (!opts.namespace || str(s.obj, "metadata", "namespace") === opts.namespace))
      .map((s) => structuredClone(s.obj))
      .filter((o) => matchesSelectors(o, opts.labelSelector, opts.fieldSelector));
    return { items, resourceVersion: String(this.revision) };
  }

  async listAll(info: KindInfo, opts: ListOptions = {}): Promise<ListResult<JsonObject>> {
    return this.list(info, opts);
  }

  async update(info: KindInfo, obj: JsonObject, opts: WriteOptions = {}): Promise<JsonObject> {
    const name = str(obj, "metadata", "name");
    this.calls.push(`update ${info.resource} ${name}${opts.dryRun ? " dry-run" : ""}`);
    const failure = this.failUpdate?.(obj);
    if (failure) throw failure;
    const current = this.store.get(this.key(info, str(obj, "metadata", "namespace"), name));
    if (!current) throw apiErrors.notFound(this.subject(info, name));
    if (str(current.obj, "metadata", "resourceVersion") !== str(obj, "metadata", "resourceVersion")) throw apiErrors.staleConflict(this.subject(info, name));
    return opts.dryRun ? obj : this.seed(info, obj);
  }

  async patch(info: KindInfo, namespace: string, name: string, patch: unknown): Promise<JsonObject> {
    this.calls.push(`patch ${info.resource} ${name} ${JSON.stringify(patch)}`);
    const current = await this.get(info, namespace, name);
    return this.seed(info, mergePatch(current, patch) as JsonObject);
  }

  async getScale(info: KindInfo, namespace: string, name: string): Promise<autoscalingV2Scale.Scale> {
    const obj = await this.get(info, namespace, name);
    return autoscalingV2Scale.Scale.fromPartial({
      apiVersion: "autoscaling/v1",
      kind: "Scale",
      metadata: { name, namespace, resourceVersion: str(obj, "metadata", "resourceVersion") },
      spec: { replicas: num(obj, "spec", "replicas") ?? 1 },
      status: { replicas: num(obj, "status", "replicas") ?? 0, selector: "" },
    });
  }

  async updateScale(info: KindInfo, namespace: string, name: string, replicas: number, resourceVersion?: string): Promise<autoscalingV2Scale.Scale> {
    this.calls.push(`scale ${info.resource} ${name} ${replicas}${resourceVersion ? ` rv=${resourceVersion}` : ""}`);
    const obj = await this.get(info, namespace, name);
    if (resourceVersion && str(obj, "metadata", "resourceVersion") !== resourceVersion) throw apiErrors.staleConflict(this.subject(info, name));
    this.seed(info, mergePatch(obj, { spec: { replicas } }) as JsonObject);
    return this.getScale(info, namespace, name);
  }

  async delete(info: KindInfo, namespace: string, name: string, opts: DeleteOptions = {}): Promise<{ object: JsonObject; deleted: boolean }> {
    this.calls.push(`delete ${info.resource} ${name} ${opts.propagationPolicy ?? ""}${opts.gracePeriodSeconds !== undefined ? ` grace=${opts.gracePeriodSeconds}` : ""}`);
    const object = await this.get(info, namespace, name);
    this.store.delete(this.key(info, namespace, name));
    return { object, deleted: true };
  }

  async nodeStats(node: string): Promise<kubeletV1.StatsResponse> {
    this.calls.push(`stats ${node}`);
    const summary = this.nodeSummaries.get(node);
    if (!summary) throw apiErrors.apiError("ServiceUnavailable", `no kubelet answers for node "${node}"`, { resource: "nodes", name: node });
    return structuredClone(summary);
  }

  async *watch(_info: KindInfo, opts: WatchOptions = {}): AsyncGenerator<WatchEvent<JsonObject>> {
    this.calls.push(`watch from ${opts.resourceVersion ?? ""}`);
    for (const ev of this.watchEvents) yield ev;
    const signal = opts.signal;
    if (!signal) return;
    if (!signal.aborted) await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
  }
}

/** Streams and exec need a kubelet: tests of them pass `connect: ApiClient.connect` and a gRPC stand-in. */
function notServed(resource: string, name: string): never {
  throw apiErrors.methodNotSupported({ resource, name }, "get");
}

/** Collects a stream's output. */
export class Capture {
  text = "";
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
}

/** An io for run() over a FakeApi, with a fixed clock and captured output. */
export function fakeIo(api: FakeApi, extra: Partial<KpctlIo> = {}): KpctlIo & { stdout: Capture; stderr: Capture } {
  const client: KpctlClient = {
    json: api,
    version: async () => ({ gitVersion: "v0.1.0-test", platform: "linux/amd64" }),
    getScale: (info, namespace, name) => api.getScale(info, namespace, name),
    updateScale: (info, namespace, name, replicas, resourceVersion) => api.updateScale(info, namespace, name, replicas, resourceVersion),
    podLogs: (_namespace, name) => notServed("pods/log", name),
    podExec: (_namespace, name) => notServed("pods/exec", name),
    nodeStats: (node) => api.nodeStats(node),
    close: () => undefined,
  };
  return {
    stdout: new Capture(),
    stderr: new Capture(),
    stdin: (async function* () {})(),
    env: { KUBEPLANE_CONFIG: "/nonexistent/kpctl-test-config" },
    now: () => new Date("2026-03-01T12:00:00Z"),
    connect: () => client,
    ...extra,
  } as KpctlIo & { stdout: Capture; stderr: Capture };
}
