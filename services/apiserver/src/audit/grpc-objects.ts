// The bodies of ApiServerService calls as Kubernetes JSON, for audit events at Request and RequestResponse levels.
import {
  apiserverV1,
  autoscalingV2Scale,
  coreV1Pod,
  encodeJson,
  encodeMessageJson,
  kindForResource,
  policyV1,
  type KindInfo,
  type MessageCodec,
} from "@kubeplane/api";

type Raw = apiserverV1.RawObject | undefined;

function parseJsonBytes(data: Uint8Array): unknown {
  return JSON.parse(Buffer.from(data).toString("utf8")) as unknown;
}

/** A kind's object as Kubernetes JSON (JSON bodies are already that; protobuf is decoded). */
function objectJson(info: KindInfo | undefined, raw: Raw): unknown {
  if (!raw?.data.length) return undefined;
  if (raw.encoding === apiserverV1.Encoding.ENCODING_JSON) return parseJsonBytes(raw.data);
  if (!info) return undefined;
  return encodeJson(info, info.codec.decode(raw.data));
}

/** A message that is not a kind (Binding, Scale, Eviction) as Kubernetes JSON. */
function messageJson<T>(typeName: string, codec: MessageCodec<T>, raw: Raw, apiVersion: string, kind: string): unknown {
  if (!raw?.data.length) return undefined;
  if (raw.encoding === apiserverV1.Encoding.ENCODING_JSON) return parseJsonBytes(raw.data);
  return { apiVersion, kind, ...encodeMessageJson(typeName, codec, codec.decode(raw.data)) };
}

const scale = (raw: Raw): unknown => messageJson("kubeplane.autoscaling.v2.Scale", autoscalingV2Scale.Scale, raw, "autoscaling/v1", "Scale");

const eventKind = kindForResource("", "events");

const eviction = (raw: Raw): unknown => messageJson("kubeplane.policy.v1.Eviction", policyV1.Eviction, raw, "policy/v1", "Eviction");

interface Req {
  resource?: apiserverV1.Resource;
  object?: Raw;
  patch?: Uint8Array;
  binding?: Raw;
  bindings?: Raw[];
  events?: Raw[];
  scale?: Raw;
  eviction?: Raw;
  gracePeriodSeconds?: number;
  propagationPolicy?: string;
  preconditions?: unknown;
  dryRun?: boolean;
}

/** The kind a call is about, from its `resource` field. */
export function callKind(req: unknown): KindInfo | undefined {
  const r = (req as Req | undefined)?.resource;
  return r ? kindForResource(r.group, r.resource) : undefined;
}

/** The body Kubernetes would log as requestObject for this call, or undefined when it has none. */
export function requestBody(method: string, req: unknown): unknown {
  const r = req as Req;
  switch (method) {
    case "create":
    case "update":
    case "updateStatus":
    case "updateApproval":
      return objectJson(callKind(req), r.object);
    case "patch":
      return r.patch?.length ? parseJsonBytes(r.patch) : undefined;
    case "delete": {
      const options: Record<string, unknown> = { kind: "DeleteOptions", apiVersion: "meta.k8s.io/v1" };
      if (r.gracePeriodSeconds !== undefined) options["gracePeriodSeconds"] = r.gracePeriodSeconds;
      if (r.propagationPolicy) options["propagationPolicy"] = r.propagationPolicy;
      if (r.preconditions) options["preconditions"] = r.preconditions;
      if (r.dryRun) options["dryRun"] = ["All"];
      return options;
    }
    case "bind":
      return messageJson("kubeplane.core.v1.Binding", coreV1Pod.Binding, r.binding, "v1", "Binding");
    case "bindPods":
      return { apiVersion: "v1", kind: "List", items: (r.bindings ?? []).map((b) => messageJson("kubeplane.core.v1.Binding", coreV1Pod.Binding, b, "v1", "Binding")) };
    case "createEvents":
      return { apiVersion: "v1", kind: "List", items: (r.events ?? []).map((e) => objectJson(eventKind, e)) };
    case "evict":
      return eviction(r.eviction);
    case "updateScale":
      return scale(r.scale);
    default:
      return undefined; // reads, watch, logs, exec, stats, and the token (never logged)
  }
}

/** The body Kubernetes would log as responseObject for this call's reply, or undefined. */
export function responseBody(method: string, req: unknown, reply: unknown): unknown {
  const info = callKind(req);
  switch (method) {
    case "create":
    case "get":
    case "update":
    case "updateStatus":
    case "updateApproval":
    case "patch":
    case "delete":
      return objectJson(info, (reply as { object?: Raw }).object);
    case "bind":
      return objectJson(kindForResource("", "pods"), (reply as { object?: Raw }).object);
    case "evict":
      return eviction((reply as { object?: Raw }).object);
    case "getScale":
    case "updateScale":
      return scale((reply as { object?: Raw }).object);
    case "list": {
      if (!info) return undefined;
      const list = reply as apiserverV1.ListReply;
      const metadata: Record<string, unknown> = { resourceVersion: list.resourceVersion };
      if (list.continueToken) metadata["continue"] = list.continueToken;
      if (list.remainingItemCount) metadata["remainingItemCount"] = list.remainingItemCount;
      return { apiVersion: info.apiVersion, kind: `${info.kind}List`, metadata, items: list.items.map((raw) => objectJson(info, raw)) };
    }
    case "version": {
      const v = reply as apiserverV1.VersionReply;
      return { gitVersion: v.gitVersion, platform: v.platform };
    }
    default:
      return undefined; // logs and exec output, stats, tokens
  }
}
