// The ApiServerService gRPC handlers: resolve the kind, decode, call the registry, encode, count.
import type { sendUnaryData, ServerUnaryCall, ServiceError } from "@grpc/grpc-js";
import {
  apiErrors,
  apiserverV1,
  autoscalingV2Scale,
  decodeMessageJson,
  isApiError,
  kindForResource,
  labelSelectorFromObject,
  parseJsonBody,
  toGrpcStatus,
  validateStatusUpdate,
  type ApiError,
  type ApiObject,
  type coreV1Pod,
  type KindInfo,
} from "@kubeplane/api";
import type { Logger } from "@kubeplane/service-kit";
import { isStoreUnavailable } from "@kubeplane/storage";
import type { ApiserverMetrics } from "./metrics.js";
import type { Authorizer } from "./authz/index.js";
import { callContext, sendWarnings } from "./call-context.js";
import { prepareCsrApproval } from "./strategies/certificatesigningrequests.js";
import { bindPods } from "./bind-batch.js";
import { createEvents } from "./event-batch.js";
import { evictPod } from "./eviction.js";
import { createMetricsApi } from "./metrics-api/index.js";
import { nodeImageHandlers } from "./node-images.js";
import { nodeProxyHandlers } from "./node-proxy.js";
import { nodeStreamHandlers } from "./node-stream-proxy.js";
import { bindPod, decodeBinding } from "./pod-binding.js";
import { resolveResource } from "./resource-resolution.js";
import { toServiceError } from "./status-mapping.js";
import { asBuffer, decodeRequestObject, encodeReplyObject } from "./object-codec.js";
import type { Registry } from "./registry.js";
import { createToken, type TokenRequestDeps } from "./token-request.js";

const { Encoding } = apiserverV1;
type Scale = autoscalingV2Scale.Scale;

function requireNamespace(info: KindInfo, namespace: string): string {
  if (!info.namespaced) return "";
  if (!namespace) throw apiErrors.badRequest(`a namespace is required for ${info.resource}`);
  return namespace;
}

export interface HandlerDeps {
  registry: Registry;
  metrics: ApiserverMetrics;
  logger: Logger;
  version: apiserverV1.VersionReply;
  /** TLS towards kubelets (see NodeProxyDeps). */
  kubeletTls?: { ca: Buffer; cert: Buffer; key: Buffer } | undefined;
  /** Authorizes each binding of a BindPods call; absent: only the call's own authorization applies. */
  authorizer?: Authorizer | undefined;
  /** TokenRequest (serviceaccounts/token); absent when the apiserver has no ServiceAccount signing key. */
  tokens?: TokenRequestDeps | undefined;
  /** Most items one List reply carries: a larger limit gets this many and a continue token when more remain (limit 0, everything, is not capped). Unset: no cap. */
  maxListPageSize?: number | undefined;
  /** metrics.k8s.io's scrape cache and CPU window (see metrics-api); default 15 s. */
  metricsResolutionMs?: number | undefined;
}

export function createHandlers(deps: HandlerDeps): Omit<apiserverV1.ApiServerServiceServer, "watch" | "backup"> {
  const { registry, metrics, logger } = deps;
  const metricsApi = createMetricsApi({ objects: registry, logger, kubeletTls: deps.kubeletTls, resolutionMs: deps.metricsResolutionMs });

  /** Runs one unary call: metrics by verb/resource/code, errors as Status. */
  function unary<Req, Res>(
    verb: string,
    subresource: string,
    resourceOf: (req: Req) => apiserverV1.Resource | undefined,
    work: (req: Req, call: ServerUnaryCall<Req, Res>) => Promise<Res>,
  ) {
    const inflight = metrics.inflight.labels({ request_kind: verb === "get" || verb === "list" ? "readOnly" : "mutating" });
    return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>): void => {
      const started = process.hrtime.bigint();
      inflight.inc();
      const res = resourceOf(call.request);
      const req = call.request as { namespace?: string; name?: string };
      const labels = {
        verb,
        group: res?.group ?? "",
        version: res?.version || (res ? kindForResource(res.group, res.resource)?.version : "") || "",
        resource: res?.resource ?? "",
        subresource,
        // kube-apiserver's scope: one object, one namespace, or the whole cluster.
        scope: !res ? "" : verb !== "list" ? "resource" : req.namespace ? "namespace" : "cluster",
        component: "apiserver",
      };
      const done = (code: string): void => {
        inflight.dec();
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        metrics.requests.inc({ ...labels, code });
        metrics.requestDuration.observe(labels, seconds);
      };
      work(call.request, call).then(
        (reply) => {
          done(verb === "create" ? "201" : "200");
          sendWarnings(call);
          callback(null, reply);
        },
        (err: unknown) => {
          const status = toServiceError(err, logger);
          done(isApiError(err) ? String(err.code) : "500");
          sendWarnings(call);
          callback(status);
        },
      );
    };
  }

  const reply = (info: KindInfo, obj: ApiObject, accept: apiserverV1.Encoding): apiserverV1.ObjectReply => ({
    object: encodeReplyObject(info, obj, accept),
  });

  return {
    create: unary("create", "", (r) => r.resource, async (req, call) => {
      const info = resolveResource(req.resource);
      const obj = decodeRequestObject(info, req.object);
      return reply(info, await registry.create(info, req.namespace, obj, callContext(call, req.dryRun)), req.accept);
    }),
    get: unary("get", "", (r) => r.resource, async (req) => {
      if (metricsApi.serves(req.resource)) return metricsApi.get(req);
      const info = resolveResource(req.resource);
      return reply(info, await registry.get(info, requireNamespace(info, req.namespace), req.name), req.accept);
    }),
    list: unary("list", "", (r) => r.resource, async (req) => {
      if (metricsApi.serves(req.resource)) return metricsApi.list(req);
      const info = resolveResource(req.resource);
      const page = await registry.list(info, {
        namespace: info.namespaced ? req.namespace : "",
        labelSelector: req.labelSelector,
        fieldSelector: req.fieldSelector,
        limit: pageLimit(req.limit, deps.maxListPageSize),
        continueToken: req.continueToken,
      });
      return {
        items: page.items.map((o) => encodeReplyObject(info, o, req.accept)),
        resourceVersion: String(page.resourceVersion),
        continueToken: page.continueToken,
        remainingItemCount: page.remainingItemCount,
      };
    }),
    update: unary("update", "", (r) => r.resource, async (req, call) => {
      const info = resolveResource(req.resource);
      const obj = decodeRequestObject(info, req.object);
      return reply(info, await registry.update(info, req.namespace, obj, callContext(call, req.dryRun)), req.accept);
    }),
    updateStatus: unary("update", "status", (r) => r.resource, async (req, call) => {
      const info = resolveResource(req.resource);
      const obj = decodeRequestObject(info, req.object);
      return reply(info, await registry.updateStatus(info, req.namespace, obj, callContext(call, req.dryRun)), req.accept);
    }),
    updateApproval: unary("update", "approval", (r) => r.resource, async (req, call) => {
      const info = resolveResource(req.resource);
      if (info.resource !== "certificatesigningrequests") throw apiErrors.apiError("NotFound", `the server could not find the requested resource (${info.resource}/approval)`);
      const obj = decodeRequestObject(info, req.object);
      const name = obj.metadata?.name ?? "";
      const ctx = callContext(call, req.dryRun);
      const next = await registry.guaranteedUpdate(info, "", name, obj.metadata?.resourceVersion ?? "", req.dryRun, async (old) => {
        const updated = prepareCsrApproval(obj, old);
        await registry.admit({ operation: "UPDATE", info, subresource: "approval", namespace: "", name, object: updated, oldObject: old }, ctx);
        const errors = validateStatusUpdate(info, updated, old);
        if (errors.length) throw apiErrors.invalid({ group: info.group, resource: info.resource, kind: info.kind, name }, errors);
        return updated;
      });
      return reply(info, next, req.accept);
    }),
    patch: unary("patch", "", (r) => r.resource, async (req, call) => {
      const info = resolveResource(req.resource);
      if (req.patchType && req.patchType !== "merge") {
        throw apiErrors.apiError("UnsupportedMediaType", `the patch type "${req.patchType}" is not supported; use "merge" (JSON merge patch)`);
      }
      const patch = parseJsonBody(req.patch, "the patch");
      const obj = await registry.patch(info, requireNamespace(info, req.namespace), req.name, patch, { status: req.status, dryRun: req.dryRun }, callContext(call, req.dryRun));
      return reply(info, obj, req.accept);
    }),
    delete: unary("delete", "", (r) => r.resource, async (req, call) => {
      const info = resolveResource(req.resource);
      const result = await registry.delete(info, requireNamespace(info, req.namespace), req.name, {
        gracePeriodSeconds: req.gracePeriodSeconds,
        propagationPolicy: req.propagationPolicy,
        preconditions: req.preconditions,
        dryRun: req.dryRun,
      }, callContext(call, req.dryRun));
      return { object: encodeReplyObject(info, result.object, req.accept), deleted: result.deleted };
    }),
    bind: unary("create", "binding", () => ({ group: "", version: "v1", resource: "pods" }), async (req, call) => {
      const info = kindForResource("", "pods")! as KindInfo<coreV1Pod.Pod>;
      return reply(info, await bindPod(registry, req.namespace, decodeBinding(req.binding), callContext(call)), req.accept);
    }),
    bindPods: unary("create", "binding", () => ({ group: "", version: "v1", resource: "pods" }), (req, call) =>
      bindPods({ registry, authorizer: deps.authorizer, logger }, req, call, callContext(call)),
    ),
    createEvents: unary("create", "", () => ({ group: "", version: "v1", resource: "events" }), (req, call) =>
      createEvents({ registry, authorizer: deps.authorizer, logger }, req, call, callContext(call)),
    ),
    getScale: unary("get", "scale", (r) => r.resource, async (req) => {
      const info = scalable(resolveResource(req.resource));
      const obj = await registry.get(info, requireNamespace(info, req.namespace), req.name);
      return { object: encodeScale(scaleOf(info, obj), req.accept) };
    }),
    updateScale: unary("update", "scale", (r) => r.resource, async (req, call) => {
      const info = scalable(resolveResource(req.resource));
      const scale = decodeScale(req.scale);
      const name = scale.metadata?.name ?? "";
      const namespace = requireNamespace(info, req.namespace || scale.metadata?.namespace || "");
      const replicas = scale.spec?.replicas ?? 0;
      if (replicas < 0) {
        throw apiErrors.invalid({ group: "autoscaling", resource: "scale", kind: "Scale", name }, [
          { type: "FieldValueInvalid", field: "spec.replicas", value: replicas, detail: "must be greater than or equal to 0" },
        ]);
      }
      const ctx = callContext(call);
      const obj = await registry.guaranteedUpdate(info, namespace, name, scale.metadata?.resourceVersion ?? "", false, async (old) => {
        const next = info.codec.fromPartial(old) as ApiObject & { spec?: { replicas?: number } };
        next.spec ??= {};
        next.spec.replicas = replicas;
        if (next.spec.replicas !== (old as { spec?: { replicas?: number } }).spec?.replicas) next.metadata!.generation += 1;
        const [newScale, oldScale] = [scaleOf(info, next), scaleOf(info, old)] as unknown as ApiObject[];
        await registry.admit({ operation: "UPDATE", info, subresource: "scale", namespace, name, object: newScale, oldObject: oldScale }, ctx);
        registry.recordWrite(info, old, next, ctx, "scale");
        return next;
      });
      return { object: encodeScale(scaleOf(info, obj), req.accept) };
    }),
    createToken: unary("create", "token", () => ({ group: "", version: "v1", resource: "serviceaccounts" }), async (req, call) => {
      return createToken(deps.tokens, registry, req, callContext(call));
    }),
    evict: unary("create", "eviction", () => ({ group: "", version: "v1", resource: "pods" }), (req, call) => evictPod(registry, req, callContext(call))),
    version: unary("get", "version", () => undefined, () => Promise.resolve(deps.version)),
    ...nodeProxyHandlers({ registry, metrics, logger, kubeletTls: deps.kubeletTls }),
    ...nodeImageHandlers({ registry, metrics, logger, kubeletTls: deps.kubeletTls }),
    ...nodeStreamHandlers({ registry, metrics, logger, kubeletTls: deps.kubeletTls }),
  };
}

/** The page size a List is served with: the caller's limit, capped (limit=0 asks for everything, as Kubernetes, and is not capped). */
function pageLimit(limit: number, max: number | undefined): number {
  return max && limit > max ? max : limit;
}

function decodeScale(raw: apiserverV1.RawObject | undefined): Scale {
  if (!raw) throw apiErrors.badRequest("the request has no scale");
  if (raw.encoding === Encoding.ENCODING_JSON) {
    const { object, errors } = decodeMessageJson("kubeplane.autoscaling.v2.Scale", autoscalingV2Scale.Scale, parseJson(raw.data));
    if (!object) throw apiErrors.badRequest("error decoding Scale", errors);
    return object;
  }
  return decodeProtobuf("Scale", () => autoscalingV2Scale.Scale.decode(raw.data));
}

/** A request message's protobuf bytes that do not parse are BadRequest, not an internal error. */
function decodeProtobuf<T>(kind: string, decode: () => T): T {
  try {
    return decode();
  } catch (err) {
    throw apiErrors.badRequest(`the object is not a valid ${kind} protobuf: ${(err as Error).message}`);
  }
}

function parseJson(data: Uint8Array): unknown {
  return parseJsonBody(data, "the object");
}

function scalable(info: KindInfo): KindInfo {
  if (!info.hasScale) throw apiErrors.apiError("NotFound", `the server could not find the requested resource (${info.resource}/scale)`);
  return info;
}

/** The autoscaling/v1 Scale view of a Deployment, ReplicaSet, StatefulSet or ReplicationController. */
function scaleOf(info: KindInfo, obj: ApiObject): Scale {
  const o = obj as ApiObject & {
    spec?: { replicas?: number; selector?: unknown };
    status?: { replicas?: number; selector?: string };
  };
  const selector =
    info.resource === "replicationcontrollers"
      ? Object.entries((o.spec?.selector as Record<string, string> | undefined) ?? {}).sort().map(([k, v]) => `${k}=${v}`).join(",")
      : labelSelectorFromObject(o.spec?.selector as Parameters<typeof labelSelectorFromObject>[0]).toString();
  return autoscalingV2Scale.Scale.fromPartial({
    apiVersion: "autoscaling/v1",
    kind: "Scale",
    metadata: {
      name: obj.metadata?.name,
      namespace: obj.metadata?.namespace,
      uid: obj.metadata?.uid,
      resourceVersion: obj.metadata?.resourceVersion,
      creationTimestamp: obj.metadata?.creationTimestamp,
    },
    spec: { replicas: o.spec?.replicas ?? 0 },
    status: { replicas: o.status?.replicas ?? 0, selector: selector === "<nothing>" ? "" : selector },
  });
}

function encodeScale(scale: Scale, accept: apiserverV1.Encoding): apiserverV1.RawObject {
  if (accept === Encoding.ENCODING_JSON) {
    return { data: Buffer.from(JSON.stringify(autoscalingV2Scale.Scale.toJSON(scale))), encoding: Encoding.ENCODING_JSON };
  }
  return { data: asBuffer(autoscalingV2Scale.Scale.encode(scale).finish()), encoding: Encoding.ENCODING_PROTOBUF };
}
