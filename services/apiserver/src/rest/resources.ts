// The REST verbs on a kind's objects: get, list, create, update, delete, deletecollection (over the gRPC handlers' request path).
import { apiErrors, apiserverV1, type KindInfo } from "@kubeplane/api";
import type { RequestAttributes } from "../authz/index.js";
import { createReview, isReviewResource } from "../authz/access-review.js";
import { warningHeader } from "../request-context.js";
import type { RestCall, RestDeps } from "./context.js";
import { decodeObject, fieldValidationOf } from "./decode.js";
import { JSON_ENCODING, fromRaw, invokeUnary, jsonRaw, resourceOf } from "./handler-bridge.js";
import { parseJsonBody, readBody, sendJson, successStatus } from "./http-io.js";
import { includeObjectOf, toTable, wantsTable } from "./table.js";

/** `dryRun=All` (the only value Kubernetes accepts); BadRequest for another. */
export function dryRunOf(values: readonly string[]): boolean {
  for (const v of values) if (v !== "All") throw apiErrors.badRequest(`dryRun: Unsupported value: "${v}": supported values: "All"`);
  return values.length > 0;
}

/** Replies with one object, or with it as a one-row Table when the client asked for Tables. */
export function sendObject(call: RestCall, code: number, obj: Record<string, unknown>): void {
  if (call.warnings.length) call.res.setHeader("Warning", call.warnings.map(warningHeader));
  if (wantsTable(call.req.headers.accept)) {
    const rv = String((obj["metadata"] as { resourceVersion?: string } | undefined)?.resourceVersion ?? "");
    sendJson(call.res, code, toTable(call.kind, [obj], { include: includeObjectOf(call.query), resourceVersion: rv }));
    return;
  }
  sendJson(call.res, code, obj);
}

/** The request namespace a namespaced kind needs; BadRequest without one. */
function namespaceOf(call: RestCall): string {
  if (!call.kind.namespaced) return "";
  return call.info.namespace;
}

/**
 * The check of the authorize step that looks at the object: RBAC escalation prevention, run with
 * the object as it will be written (for a patch, the patched object). NodeRestriction and the
 * other admission plugins run in the Registry, behind the handlers.
 */
export async function admitObject(deps: RestDeps, attrs: RequestAttributes, obj: unknown): Promise<void> {
  await deps.escalation.check(attrs, { object: jsonRaw(obj) });
}

/** Decodes a request body against the kind's schema (fieldValidation); the JSON handed on (unknown fields dropped unless Strict). */
export function decodeBody(call: RestCall, info: KindInfo, json: unknown): Record<string, unknown> {
  // `managedFields: []` clears them (as Kubernetes); decoded, an empty list means "not sent", so it travels as one empty entry.
  const meta = (json as { metadata?: { managedFields?: unknown } } | null)?.metadata;
  if (Array.isArray(meta?.managedFields) && meta.managedFields.length === 0) meta.managedFields = [{}];
  const decoded = decodeObject(info, json, fieldValidationOf(call.query));
  call.warnings.push(...decoded.warnings);
  return decoded.json as Record<string, unknown>;
}

export async function getObject(call: RestCall, deps: RestDeps): Promise<void> {
  const reply = await invokeUnary(deps.handlers.get, { resource: resourceOf(call.kind), namespace: namespaceOf(call), name: call.info.name, accept: JSON_ENCODING }, call);
  sendObject(call, 200, fromRaw(reply.object));
}

export async function listObjects(call: RestCall, deps: RestDeps): Promise<void> {
  const q = call.query;
  const limit = Number(q.get("limit") ?? 0);
  if (!Number.isSafeInteger(limit) || limit < 0) throw apiErrors.badRequest(`limit: Invalid value: "${q.get("limit")}"`);
  const reply = await invokeUnary(
    deps.handlers.list,
    {
      resource: resourceOf(call.kind),
      namespace: namespaceOf(call),
      labelSelector: q.get("labelSelector") ?? "",
      fieldSelector: q.get("fieldSelector") ?? "",
      limit,
      continueToken: q.get("continue") ?? "",
      accept: JSON_ENCODING,
    },
    call,
  );
  const items = reply.items.map(fromRaw);
  const metadata = {
    resourceVersion: reply.resourceVersion,
    ...(reply.continueToken ? { continue: reply.continueToken } : {}),
    ...(reply.remainingItemCount !== undefined ? { remainingItemCount: reply.remainingItemCount } : {}),
  };
  if (wantsTable(call.req.headers.accept)) {
    sendJson(call.res, 200, toTable(call.kind, items, { include: includeObjectOf(q), resourceVersion: reply.resourceVersion, continueToken: reply.continueToken }));
    return;
  }
  sendJson(call.res, 200, { apiVersion: call.kind.apiVersion, kind: `${call.kind.kind}List`, metadata, items });
}

/** A create; the review kinds are answered by the authorization step and never stored. */
export async function createObject(call: RestCall, deps: RestDeps): Promise<void> {
  const body = parseJsonBody(await readBody(call.req));
  const dryRun = dryRunOf(call.query.getAll("dryRun"));
  if (isReviewResource(call.kind)) {
    const reply = await createReview(call.kind, jsonRaw(body), JSON_ENCODING, call.user, deps.authorizer);
    sendObject(call, 201, fromRaw(reply.object));
    return;
  }
  const obj = decodeBody(call, call.kind, body);
  const namespace = namespaceOf(call);
  const meta = (obj["metadata"] ?? {}) as { namespace?: string };
  if (call.kind.namespaced && meta.namespace && namespace && meta.namespace !== namespace) {
    throw apiErrors.badRequest("the namespace of the provided object does not match the namespace sent on the request");
  }
  await admitObject(deps, { ...call.attrs, namespace: namespace || meta.namespace || "" }, obj);
  const reply = await invokeUnary(deps.handlers.create, { resource: resourceOf(call.kind), namespace, object: jsonRaw(obj), accept: JSON_ENCODING, dryRun }, call);
  sendObject(call, 201, fromRaw(reply.object));
}

/** PUT: the whole object; its name must be the URL's. */
export async function updateObject(call: RestCall, deps: RestDeps, method: "update" | "updateStatus" | "updateApproval" = "update"): Promise<void> {
  const body = parseJsonBody(await readBody(call.req));
  const obj = decodeBody(call, call.kind, body);
  checkName(call, obj);
  const reply = await writeObject(call, deps, method, obj);
  sendObject(call, 200, reply);
}

export function checkName(call: RestCall, obj: Record<string, unknown>): void {
  const meta = (obj["metadata"] ??= {}) as { name?: string; namespace?: string };
  if (meta.name && meta.name !== call.info.name) throw apiErrors.badRequest(`the name of the object (${meta.name}) does not match the name on the URL (${call.info.name})`);
  meta.name = call.info.name;
  if (call.kind.namespaced && meta.namespace && meta.namespace !== call.info.namespace) {
    throw apiErrors.badRequest("the namespace of the provided object does not match the namespace sent on the request");
  }
}

/** An update of the whole object (spec, status or approval) through the handlers, after the object-level admission checks. */
export async function writeObject(call: RestCall, deps: RestDeps, method: "update" | "updateStatus" | "updateApproval", obj: Record<string, unknown>): Promise<Record<string, unknown>> {
  await admitObject(deps, { ...call.attrs, verb: "update" }, obj);
  const reply = await invokeUnary(deps.handlers[method], { resource: resourceOf(call.kind), namespace: namespaceOf(call), object: jsonRaw(obj), accept: JSON_ENCODING, dryRun: dryRunOf(call.query.getAll("dryRun")) }, call);
  return fromRaw(reply.object);
}

interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: string;
  orphanDependents?: boolean;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: string[];
}

/** DeleteOptions from the body (kubectl sends one) and the query (curl-style), the query's values winning. */
async function deleteOptionsOf(call: RestCall): Promise<DeleteOptions> {
  const body = await readBody(call.req);
  const opts: DeleteOptions = body.length ? ((parseJsonBody(body, "DeleteOptions") ?? {}) as DeleteOptions) : {};
  const q = call.query;
  if (q.has("gracePeriodSeconds")) opts.gracePeriodSeconds = Number(q.get("gracePeriodSeconds"));
  if (q.has("propagationPolicy")) opts.propagationPolicy = q.get("propagationPolicy") ?? "";
  if (q.has("orphanDependents")) opts.orphanDependents = q.get("orphanDependents") === "true";
  if (q.has("dryRun")) opts.dryRun = q.getAll("dryRun");
  if (opts.gracePeriodSeconds !== undefined && (!Number.isSafeInteger(opts.gracePeriodSeconds) || opts.gracePeriodSeconds < 0)) {
    throw apiErrors.badRequest(`gracePeriodSeconds: Invalid value: ${String(opts.gracePeriodSeconds)}: must be a non-negative integer`);
  }
  if (opts.orphanDependents !== undefined && opts.propagationPolicy) throw apiErrors.badRequest("orphanDependents and propagationPolicy may not both be set");
  if (opts.orphanDependents !== undefined) opts.propagationPolicy = opts.orphanDependents ? "Orphan" : "Background";
  return opts;
}

async function deleteOne(call: RestCall, deps: RestDeps, name: string, opts: DeleteOptions): Promise<{ object: Record<string, unknown>; deleted: boolean }> {
  const reply = await invokeUnary(
    deps.handlers.delete,
    {
      resource: resourceOf(call.kind),
      namespace: namespaceOf(call),
      name,
      gracePeriodSeconds: opts.gracePeriodSeconds,
      propagationPolicy: opts.propagationPolicy ?? "",
      preconditions: { uid: opts.preconditions?.uid ?? "", resourceVersion: opts.preconditions?.resourceVersion ?? "" },
      accept: JSON_ENCODING,
      dryRun: dryRunOf(opts.dryRun ?? []),
    },
    call,
  );
  return { object: fromRaw(reply.object), deleted: reply.deleted };
}

/** DELETE of one object: 200 with the object when it is gone, 202 with it while finalizers or a grace period keep it. */
export async function deleteObject(call: RestCall, deps: RestDeps): Promise<void> {
  const result = await deleteOne(call, deps, call.info.name, await deleteOptionsOf(call));
  sendObject(call, result.deleted ? 200 : 202, result.object);
}

/** DELETE of a collection: each selected object in turn; the reply lists what was deleted (or marked). */
export async function deleteCollection(call: RestCall, deps: RestDeps): Promise<void> {
  const opts = await deleteOptionsOf(call);
  const q = call.query;
  const items: Record<string, unknown>[] = [];
  let continueToken = "";
  do {
    const page = await invokeUnary(
      deps.handlers.list,
      { resource: resourceOf(call.kind), namespace: namespaceOf(call), labelSelector: q.get("labelSelector") ?? "", fieldSelector: q.get("fieldSelector") ?? "", limit: 500, continueToken, accept: apiserverV1.Encoding.ENCODING_JSON },
      call,
    );
    for (const raw of page.items) {
      const name = String((fromRaw(raw)["metadata"] as { name?: string }).name ?? "");
      try {
        items.push((await deleteOne(call, deps, name, opts)).object);
      } catch (err) {
        if ((err as { reason?: string }).reason !== "NotFound") throw err;
      }
    }
    continueToken = page.continueToken;
  } while (continueToken);
  if (!items.length) {
    sendJson(call.res, 200, successStatus());
    return;
  }
  sendJson(call.res, 200, { apiVersion: call.kind.apiVersion, kind: `${call.kind.kind}List`, metadata: {}, items });
}
