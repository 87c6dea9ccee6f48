// PATCH: JSON patch (RFC 6902), JSON merge patch, strategic merge patch (the schema's merge keys) and server-side apply.
import { JsonPatchError, StrategicMergePatchError, apiErrors, applyJsonPatch, isApiError, mergePatch, strategicMergePatch, type KindInfo } from "@kubeplane/api";
import { applyConfiguration } from "../fieldmanager/index.js";
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
  const apply = type === "application/apply-patch+yaml";
  const patch = parseJsonBody(body, apply ? "the apply configuration (send it as JSON, YAML's JSON subset)" : "the patch");
  const force = forceOf(call.query, apply);
  const manager = call.query.get("fieldManager") ?? "";
  if (apply) checkApplyConfiguration(patch, manager);
  const wantedRv = resourceVersionIn(patch);
  const namespace = call.kind.namespaced ? call.info.namespace : "";
  // An apply's write carries the managedFields it computed (operation Apply); other patches are Updates.
  const writer: RestCall = apply ? { ...call, fieldManager: { manager, operation: "Apply" } } : call;
  for (let attempt = 0; ; attempt++) {
    let current: Record<string, unknown>;
    try {
      current = fromRaw((await invokeUnary(deps.handlers.get, { resource: resourceOf(call.kind), namespace, name: call.info.name, accept: JSON_ENCODING }, call)).object);
    } catch (err) {
      if (apply && isApiError(err) && err.reason === "NotFound" && method === "update") {
        await applyCreate(writer, deps, patch as Record<string, unknown>, force);
        return;
      }
      throw err;
    }
    let patched = applyPatch(type, call.kind.typeName, current, patch);
    if (apply) patched = applyConfiguration({ ...applyRequestOf(call, method, manager, force), live: current, config: patch as Record<string, unknown>, merged: patched });
    const obj = decodeBody(call, call.kind, patched);
    checkName(call, obj);
    const meta = obj["metadata"] as { resourceVersion?: string };
    meta.resourceVersion = wantedRv ?? String((current["metadata"] as { resourceVersion?: string }).resourceVersion ?? "");
    try {
      const written = await writeObject(writer, deps, method, obj);
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

/** `force=true|false`, allowed only on an apply (as Kubernetes). */
function forceOf(query: URLSearchParams, apply: boolean): boolean {
  const value = query.get("force");
  if (value === null || value === "") return false;
  if (!apply) throw apiErrors.badRequest("force: Forbidden: may not be specified for non-apply patch");
  if (value !== "true" && value !== "false") throw apiErrors.badRequest(`force: Invalid value: "${value}": must be true or false`);
  return value === "true";
}

/** An apply needs a field manager and an object without managedFields (they are the server's to compute). */
function checkApplyConfiguration(config: unknown, manager: string): void {
  if (!manager) throw apiErrors.badRequest("fieldManager: Required value: is required for apply patch");
  if (config === null || typeof config !== "object" || Array.isArray(config)) throw apiErrors.badRequest("an apply configuration must be a JSON object");
  const meta = (config as { metadata?: { managedFields?: unknown } }).metadata;
  if (meta?.managedFields !== undefined && meta.managedFields !== null) throw apiErrors.badRequest("metadata.managedFields must be nil");
}

function applyRequestOf(call: RestCall, method: string, manager: string, force: boolean) {
  return { typeName: call.kind.typeName, apiVersion: call.kind.apiVersion, manager, force, ignoreStatus: call.kind.hasStatus && method === "update", now: new Date() };
}

/** Server-side apply of an absent object: the apply configuration is created, owned by the applier. */
async function applyCreate(call: RestCall, deps: RestDeps, config: Record<string, unknown>, force: boolean): Promise<void> {
  const owned = applyConfiguration({ ...applyRequestOf(call, "update", call.fieldManager?.manager ?? "", force), live: undefined, config, merged: structuredClone(config) });
  const obj = decodeBody(call, call.kind as KindInfo, owned);
  checkName(call, obj);
  await admitObject(deps, { ...call.attrs, verb: "create", name: "" }, obj);
  const reply = await invokeUnary(
    deps.handlers.create,
    { resource: resourceOf(call.kind), namespace: call.kind.namespaced ? call.info.namespace : "", object: jsonRaw(obj), accept: JSON_ENCODING, dryRun: dryRunOf(call.query.getAll("dryRun")) },
    call,
  );
  sendObject(call, 201, fromRaw(reply.object));
}
