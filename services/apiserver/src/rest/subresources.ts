// Subresources over REST: status, scale, binding, eviction, log, approval, token; exec, attach and portforward need an upgrade (server.ts), proxy is refused (501).
import { ApiError, apiErrors, metaV1 } from "@kubeplane/api";
import type { RestCall, RestDeps } from "./context.js";
import { JSON_ENCODING, fromRaw, invokeStream, invokeUnary, jsonRaw, resourceOf } from "./handler-bridge.js";
import { parseJsonBody, readBody, sendJson } from "./http-io.js";
import { applyPatch, patchObject } from "./patch.js";
import { getObject, updateObject } from "./resources.js";

const STREAMING = new Set(["proxy"]);

function notFound(call: RestCall): ApiError {
  return apiErrors.apiError("NotFound", `the server could not find the requested resource (${call.info.resource}/${call.info.subresource})`);
}

function methodNotAllowed(call: RestCall): ApiError {
  return apiErrors.apiError("MethodNotAllowed", `the server does not allow this method on the requested resource (${call.info.verb} ${call.info.resource}/${call.info.subresource})`);
}

/** 501: pods/proxy is not built over REST (docs/rest-api.md). */
function notImplemented(call: RestCall): ApiError {
  return new ApiError(
    metaV1.Status.fromPartial({
      apiVersion: "v1",
      kind: "Status",
      status: "Failure",
      reason: "NotImplemented",
      code: 501,
      message: `${call.info.subresource} is not implemented by this apiserver's REST API`,
      details: { name: call.info.name, kind: call.info.resource },
    }),
  );
}

/** Serves `call.info.subresource` of the object `call.info.name`. */
export async function serveSubresource(call: RestCall, deps: RestDeps): Promise<void> {
  const { subresource, verb } = call.info;
  const isPods = call.kind.group === "" && call.kind.resource === "pods";
  if (isPods && (subresource === "exec" || subresource === "attach")) throw apiErrors.badRequest("Upgrade request required: pods/exec and pods/attach stream over a WebSocket (v5.channel.k8s.io or v4.channel.k8s.io)");
  if (isPods && subresource === "portforward") throw apiErrors.badRequest("Upgrade request required: pods/portforward streams SPDY/3.1 (portforward.k8s.io), in a WebSocket (SPDY/3.1+portforward.k8s.io) or over an upgrade");
  if (isPods && STREAMING.has(subresource)) throw notImplemented(call);
  switch (subresource) {
    case "status":
      if (!call.kind.hasStatus) throw notFound(call);
      if (verb === "get") return getObject(call, deps);
      if (verb === "update") return updateObject(call, deps, "updateStatus");
      if (verb === "patch") return patchObject(call, deps, "updateStatus");
      throw methodNotAllowed(call);
    case "approval":
      if (call.kind.resource !== "certificatesigningrequests") throw notFound(call);
      if (verb === "get") return getObject(call, deps);
      if (verb === "update") return updateObject(call, deps, "updateApproval");
      if (verb === "patch") return patchObject(call, deps, "updateApproval");
      throw methodNotAllowed(call);
    case "scale":
      if (!call.kind.hasScale) throw notFound(call);
      return scale(call, deps);
    case "binding":
      if (!isPods) throw notFound(call);
      if (verb !== "create") throw methodNotAllowed(call);
      return created(call, await invokeUnary(deps.handlers.bind, { namespace: call.info.namespace, binding: jsonRaw(await bodyNamed(call)), accept: JSON_ENCODING }, call), true);
    case "eviction":
      if (!isPods) throw notFound(call);
      if (verb !== "create") throw methodNotAllowed(call);
      return created(call, await invokeUnary(deps.handlers.evict, { namespace: call.info.namespace, name: call.info.name, eviction: jsonRaw(await bodyNamed(call)), accept: JSON_ENCODING }, call));
    case "token":
      if (call.kind.group !== "" || call.kind.resource !== "serviceaccounts") throw notFound(call);
      if (verb !== "create") throw methodNotAllowed(call);
      return created(call, await invokeUnary(deps.handlers.createToken, { namespace: call.info.namespace, name: call.info.name, tokenRequest: jsonRaw(parseJsonBody(await readBody(call.req))), accept: JSON_ENCODING }, call));
    case "log":
      if (!isPods) throw notFound(call);
      if (verb !== "get") throw methodNotAllowed(call);
      return logs(call, deps);
    default:
      throw notFound(call);
  }
}

/** The body of a binding or eviction, named after the URL's pod when it names none. */
async function bodyNamed(call: RestCall): Promise<Record<string, unknown>> {
  const body = (parseJsonBody(await readBody(call.req)) ?? {}) as Record<string, unknown>;
  const meta = (body["metadata"] ??= {}) as { name?: string; namespace?: string };
  meta.name ||= call.info.name;
  meta.namespace ||= call.info.namespace;
  return body;
}

function created(call: RestCall, reply: { object?: Parameters<typeof fromRaw>[0] }, statusOnly = false): void {
  // A binding answers with a Success Status, as Kubernetes does; the others with their object.
  sendJson(call.res, 201, statusOnly ? { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", code: 201 } : fromRaw(reply.object));
}

async function scale(call: RestCall, deps: RestDeps): Promise<void> {
  const namespace = call.info.namespace;
  const getScale = async (): Promise<Record<string, unknown>> =>
    fromRaw((await invokeUnary(deps.handlers.getScale, { resource: resourceOf(call.kind), namespace, name: call.info.name, accept: JSON_ENCODING }, call)).object);
  const put = async (obj: Record<string, unknown>): Promise<void> => {
    const meta = (obj["metadata"] ??= {}) as { name?: string; namespace?: string };
    if (meta.name && meta.name !== call.info.name) throw apiErrors.badRequest(`the name of the object (${meta.name}) does not match the name on the URL (${call.info.name})`);
    meta.name = call.info.name;
    meta.namespace = namespace;
    sendJson(call.res, 200, fromRaw((await invokeUnary(deps.handlers.updateScale, { resource: resourceOf(call.kind), namespace, scale: jsonRaw(obj), accept: JSON_ENCODING }, call)).object));
  };
  if (call.info.verb === "get") {
    sendJson(call.res, 200, await getScale());
    return;
  }
  if (call.info.verb === "update") return put((parseJsonBody(await readBody(call.req)) ?? {}) as Record<string, unknown>);
  if (call.info.verb === "patch") {
    const type = (call.req.headers["content-type"] ?? "").split(";")[0]!.trim();
    const patch = parseJsonBody(await readBody(call.req));
    const current = await getScale();
    const patched = applyPatch(type === "application/json-patch+json" || type === "application/merge-patch+json" ? type : "application/strategic-merge-patch+json", "kubeplane.autoscaling.v2.Scale", current, patch);
    return put(patched);
  }
  throw methodNotAllowed(call);
}

function optionalInt(call: RestCall, key: string): number | undefined {
  const v = call.query.get(key);
  if (v === null || v === "") return undefined;
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw apiErrors.badRequest(`${key}: Invalid value: "${v}": must be an integer`);
  return n;
}

/** pods/log: the kubelet's log stream through the node proxy, as chunked text/plain (follow keeps it open). */
async function logs(call: RestCall, deps: RestDeps): Promise<void> {
  const q = call.query;
  const controller = new AbortController();
  call.signal.addEventListener("abort", () => controller.abort(), { once: true });
  const request = {
    namespace: call.info.namespace,
    name: call.info.name,
    container: q.get("container") ?? "",
    follow: q.get("follow") === "true",
    tailLines: optionalInt(call, "tailLines"),
    sinceSeconds: optionalInt(call, "sinceSeconds"),
    sinceTime: q.get("sinceTime") ?? "",
    previous: q.get("previous") === "true",
    timestamps: q.get("timestamps") === "true",
    limitBytes: optionalInt(call, "limitBytes"),
  };
  let started = false;
  await invokeStream(deps.handlers.podLogs, request, call, controller.signal, (chunk: { data: Uint8Array }) => {
    if (!started) {
      call.res.writeHead(200, { "Content-Type": "text/plain", "Transfer-Encoding": "chunked", "Cache-Control": "no-cache, private" });
      started = true;
      call.audit?.responseStarted();
    }
    call.res.write(chunk.data); // buffered by the response; a log stream is slow enough
    return true;
  });
  if (!started) call.res.writeHead(200, { "Content-Type": "text/plain" });
  call.res.end();
}
