// PATCH: JSON patch (RFC 6902), JSON merge patch, strategic merge patch (the schema's merge keys) and server-side apply.
import { JsonPatchError, StrategicMergePatchError, apiErrors, applyJsonPatch, isApiError, mergePatch, strategicMergePatch, type KindInfo } from "@kubeplane/api";
import type { RestCall, RestDeps } from "./context.js";
import { JSON_ENCODING, fromRaw, invokeUnary, jsonRaw, resourceOf } from "./handler-bridge.js";
import { parseJsonBody, readBody } from "./http-io.js";
import { admitObject, checkName, decodeBody, dryRunOf, sendObject, writeObject } from "./resources.js";

export const PATCH_TYPES = ["application/json-patch+json", "application/merge-patch+json", "application/strategic-merge-patch+json", "application/apply-patch+yaml"] as const;
type PatchType = (typeof PATCH_TYPES)[number];

const CONFLICT_RETRIES = 5;

function patchTypeOf(contentType: string | undefined): PatchType {
  const type = (contentType ?? "").split(";")[0]!.trim().toLowerCase();
  if ((PATCH_TYPES as readonly string[]).includes(type)) return type as PatchType;
  throw apiErrors.apiError("UnsupportedMediaType", `the body of the request was in an unknown format - accepted media types include: ${PATCH_TYPES.join(", ")}`);
}

/** The patched document; a patch that cannot apply is a BadRequest (JSON patch's failed `test` a Conflict... as Kubernetes: 422). */
export function applyPatch(type: PatchType, typeName: string, current: Record<string, unknown>, patch: unknown): Record<string, unknown> {
  try {
    switch (type) {
      case "application/json-patch+json":
        return applyJsonPatch(current, patch) as Record<string, unknown>;
      case "application/merge-patch+json":
        if (patch === null || typeof patch !== "object" || Array.isArray(patch)) throw apiErrors.badRequest("a merge patch must be a JSON object");
        return mergePatch(current, patch) as Record<string, unknown>;
      default:
        if (patch === null || typeof patch !== "object" || Array.isArray(patch)) throw apiErrors.badRequest("a strategic merge patch must be a JSON object");
        return strategicMergePatch(typeName, current, patch) as Record<string, unknown>;
    }
  } catch (err) {
    if (err instanceof JsonPatchError) throw apiErrors.apiError("Invalid", `the server rejected our request due to an error in our request: ${err.message}`);
    if (err instanceof StrategicMergePatchError) throw apiErrors.badRequest(`unable to apply the strategic merge patch: ${err.message}`);
    throw err;
  }
}

function resourceVersionIn(patch: unknown): string | undefined {
  const rv = (patch as { metadata?: { resourceVersion?: unknown } } | null)?.metadata?.resourceVersion;
  return typeof rv === "string" && rv !== "" ? rv : undefined;
}

/**
 * Patches an object (or its status or approval): reads it, applies the patch, and writes the result
 * as an update on the version read — retried on a lost race unless the patch names a
 * resourceVersion. Server-side apply creates the object when it is absent.
 */
export async function patchObject(call: RestCall, deps: RestDeps, method: "update" | "updateStatus" | "updateApproval" = "update"): Promise<void> {
  const type = patchTypeOf(call.req.headers["content-type"]);
  const body = await readBody(call.req);
  const patch = parseJsonBody(body, type === "application/apply-patch+yaml" ? "the apply configuration (send it as JSON, YAML's JSON subset)" : "the patch");
  if (type === "application/apply-patch+yaml" && !call.query.get("fieldManager")) throw apiErrors.badRequest("fieldManager: Required value: is required for apply patch");
  const wantedRv = resourceVersionIn(patch);
  const namespace = call.kind.namespaced ? call.info.namespace : "";
  for (let attempt = 0; ; attempt++) {
    let current: Record<string, unknown>;
    try {
      current = fromRaw((await invokeUnary(deps.handlers.get, { resource: resourceOf(call.kind), namespace, name: call.info.name, accept: JSON_ENCODING }, call)).object);
    } catch (err) {
      if (type === "application/apply-patch+yaml" && isApiError(err) && err.reason === "NotFound" && method === "update") {
        await applyCreate(call, deps, patch);
        return;
      }
      throw err;
    }
    const patched = applyPatch(type, call.kind.typeName, current, type === "application/apply-patch+yaml" ? withoutManagedFields(patch) : patch);
    const obj = decodeBody(call, call.kind, patched);
    checkName(call, obj);
    const meta = obj["metadata"] as { resourceVersion?: string };
    meta.resourceVersion = wantedRv ?? String((current["metadata"] as { resourceVersion?: string }).resourceVersion ?? "");
    try {
      const written = await writeObject(call, deps, method, obj);
      // A dry run stores nothing, so the object keeps the version it was read at (kubectl diff shows it).
      const writtenMeta = (written["metadata"] ??= {}) as { resourceVersion?: string };
      writtenMeta.resourceVersion ||= meta.resourceVersion;
      sendObject(call, 200, written);
      return;
    } catch (err) {
      if (!wantedRv && isApiError(err) && err.reason === "Conflict" && attempt < CONFLICT_RETRIES) continue;
      throw err;
    }
  }
}

function withoutManagedFields(patch: unknown): unknown {
  const copy = structuredClone(patch) as { metadata?: Record<string, unknown> };
  if (copy.metadata) delete copy.metadata["managedFields"];
  return copy;
}

/** Server-side apply of an absent object: the apply configuration is created. */
async function applyCreate(call: RestCall, deps: RestDeps, config: unknown): Promise<void> {
  const obj = decodeBody(call, call.kind as KindInfo, withoutManagedFields(config));
  checkName(call, obj);
  await admitObject(deps, { ...call.attrs, verb: "create", name: "" }, obj);
  const reply = await invokeUnary(
    deps.handlers.create,
    { resource: resourceOf(call.kind), namespace: call.kind.namespaced ? call.info.namespace : "", object: jsonRaw(obj), accept: JSON_ENCODING, dryRun: dryRunOf(call.query.getAll("dryRun")) },
    call,
  );
  sendObject(call, 201, fromRaw(reply.object));
}
