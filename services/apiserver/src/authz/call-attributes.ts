// The authorization attributes of each ApiServerService call: verb, resource, subresource, namespace and name from its request.
import { apiserverV1, kindForResource, metaV1 } from "@kubeplane/api";
import type { UserInfo } from "../authn/index.js";
import { nonResourceAttributes, resourceAttributes, type RequestAttributes } from "./attributes.js";

type Raw = apiserverV1.RawObject | undefined;
interface Meta {
  name: string;
  namespace: string;
}

function readVarint(data: Uint8Array, pos: number): [number, number] {
  let value = 0;
  let shift = 0;
  for (;;) {
    if (pos >= data.length) throw new RangeError("truncated varint");
    const byte = data[pos++]!;
    value += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) return [value, pos];
    shift += 7;
  }
}

/**
 * The name and namespace of an object in a request, without decoding all of it: every kind's
 * message has `metadata` as field 3, so protobuf is scanned for that field alone. Empty on
 * anything unreadable (the handler reports the decoding error itself).
 */
export function peekMeta(raw: Raw): Meta {
  const empty = { name: "", namespace: "" };
  if (!raw?.data.length) return empty;
  try {
    if (raw.encoding === apiserverV1.Encoding.ENCODING_JSON) {
      const m = (JSON.parse(Buffer.from(raw.data).toString("utf8")) as { metadata?: { name?: unknown; namespace?: unknown } } | null)?.metadata;
      return { name: typeof m?.name === "string" ? m.name : "", namespace: typeof m?.namespace === "string" ? m.namespace : "" };
    }
    const data = raw.data;
    for (let pos = 0; pos < data.length; ) {
      const [tag, afterTag] = readVarint(data, pos);
      const field = Math.floor(tag / 8);
      const wire = tag & 7;
      pos = afterTag;
      if (wire === 0) pos = readVarint(data, pos)[1];
      else if (wire === 1) pos += 8;
      else if (wire === 5) pos += 4;
      else if (wire === 2) {
        const [len, start] = readVarint(data, pos);
        if (field === 3) {
          const meta = metaV1.ObjectMeta.decode(data.subarray(start, start + len));
          return { name: meta.name, namespace: meta.namespace };
        }
        pos = start + len;
      } else return empty;
    }
  } catch {
    return empty;
  }
  return empty;
}

interface ResourceRequest {
  resource?: apiserverV1.Resource | undefined;
  namespace?: string;
  name?: string;
  object?: Raw;
  fieldSelector?: string;
}

function forResource(user: UserInfo, verb: string, req: ResourceRequest, subresource = "", meta?: Meta): RequestAttributes {
  const r = req.resource;
  const info = r ? kindForResource(r.group, r.resource) : undefined;
  const namespaced = info ? info.namespaced : true;
  const namespace = namespaced ? req.namespace || meta?.namespace || "" : "";
  return resourceAttributes(user, {
    verb,
    apiGroup: r?.group ?? "",
    resource: r?.resource ?? "",
    subresource,
    namespace,
    // A create names no object (Kubernetes' attributes), except a subresource's parent.
    name: verb === "create" && !subresource ? "" : req.name || meta?.name || "",
    ...(req.fieldSelector ? { fieldSelector: req.fieldSelector } : {}),
  });
}

const pods = { group: "", version: "v1", resource: "pods" };

/** The non-resource path a Backup call is authorized on (verb get): cluster-admin's "*" covers it; see docs/security.md for a narrower role. */
export const BACKUP_PATH = "/backup/etcd-snapshot";

/**
 * The attributes of a call to `method` (the grpc-js handler name) with request `req`. A method
 * this table does not know is a non-resource request on `/grpc/<method>`, which only a rule for
 * every path ("*", cluster-admin) grants, so a new RPC is closed until it is added here.
 */
export function callAttributes(method: string, req: unknown, user: UserInfo): RequestAttributes {
  const r = req as ResourceRequest & Record<string, unknown>;
  switch (method) {
    case "create":
      return forResource(user, "create", r, "", peekMeta(r.object));
    case "get":
    case "list":
    case "watch":
    case "delete":
      return forResource(user, method, r);
    case "patch":
      return forResource(user, "patch", r, (r as { status?: boolean }).status ? "status" : "");
    case "update":
    case "updateStatus":
    case "updateApproval":
      return forResource(user, "update", r, { update: "", updateStatus: "status", updateApproval: "approval" }[method], peekMeta(r.object));
    case "bind": {
      const meta = peekMeta(r["binding"] as Raw);
      return forResource(user, "create", { resource: pods, namespace: r.namespace || meta.namespace, name: meta.name }, "binding");
    }
    // Each binding is authorized again on its own pod by the handler (bind-batch.ts).
    case "bindPods":
      return forResource(user, "create", { resource: pods, namespace: r.namespace ?? "" }, "binding");
    // Each event is authorized again in its own namespace by the handler (event-batch.ts).
    case "createEvents":
      return forResource(user, "create", { resource: { group: "", version: "v1", resource: "events" }, namespace: r.namespace ?? "" });
    case "evict": {
      const meta = peekMeta(r["eviction"] as Raw);
      return forResource(user, "create", { resource: pods, namespace: r.namespace || meta.namespace, name: r.name || meta.name }, "eviction");
    }
    case "getScale":
      return forResource(user, "get", r, "scale");
    case "updateScale": {
      const meta = peekMeta(r["scale"] as Raw);
      return forResource(user, "update", { ...r, name: meta.name }, "scale", meta);
    }
    case "createToken":
      return forResource(user, "create", { resource: { group: "", version: "v1", resource: "serviceaccounts" }, namespace: r.namespace ?? "", name: r.name ?? "" }, "token");
    case "podLogs":
      return forResource(user, "get", { resource: pods, namespace: r.namespace ?? "", name: r.name ?? "" }, "log");
    case "podExec":
      return forResource(user, "create", { resource: pods, namespace: r.namespace ?? "", name: r.name ?? "" }, "exec");
    case "nodeStats":
      return forResource(user, "get", { resource: { group: "", version: "v1", resource: "nodes" }, name: r.name ?? "" }, "stats");
    // Bidirectional streams: the pod comes from the call's metadata (podStreamTarget), read before any message.
    case "podExecStream":
      return forResource(user, "create", { resource: pods, namespace: r.namespace ?? "", name: r.name ?? "" }, "exec");
    case "podAttach":
      return forResource(user, "create", { resource: pods, namespace: r.namespace ?? "", name: r.name ?? "" }, "attach");
    case "podPortForward":
      return forResource(user, "create", { resource: pods, namespace: r.namespace ?? "", name: r.name ?? "" }, "portforward");
    case "version":
      return nonResourceAttributes(user, "get", "/version");
    case "backup":
      return nonResourceAttributes(user, "get", BACKUP_PATH);
    default:
      return nonResourceAttributes(user, method, `/grpc/${method}`);
  }
}
