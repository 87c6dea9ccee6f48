// A gRPC call's RequestContext (its user and dryRun, and admission's warnings), and the warnings sent back as
// response metadata in Kubernetes' `Warning` header format.
import { Metadata } from "@grpc/grpc-js";
import { auditAnnotationsOf } from "./audit/index.js";
import { requestUser } from "./authn/index.js";
import type { FieldManagerRef } from "./fieldmanager/index.js";
import { managerFromUserAgent, newRequestContext, warningHeader, type RequestContext } from "./request-context.js";

/** The response metadata key of warnings (one value per warning), as Kubernetes' HTTP `Warning` header. */
export const WARNING_METADATA_KEY = "warning";

/** The request metadata key naming the field manager of a write (REST's `fieldManager` query parameter). */
export const FIELD_MANAGER_METADATA_KEY = "field-manager";

const contexts = new WeakMap<object, RequestContext>();
const fieldManagers = new WeakMap<object, FieldManagerRef>();

/** Sets the field manager of an in-process call (the REST gateway's bridged calls; an Apply is only set this way). */
export function setCallFieldManager(call: object, ref: FieldManagerRef): void {
  fieldManagers.set(call, ref);
}

/** A gRPC call's field manager: the `field-manager` metadata, else the product of its User-Agent. */
function fieldManagerOf(call: object): FieldManagerRef | undefined {
  const set = fieldManagers.get(call);
  if (set) return set;
  const md = (call as { metadata?: Metadata }).metadata;
  if (!(md instanceof Metadata)) return undefined;
  const first = (key: string): string | undefined => {
    const v = md.get(key)[0];
    return typeof v === "string" ? v : undefined;
  };
  // grpc-js sends "<primary agent> grpc-node-js/<version>": the primary agent is the program.
  const manager = (first(FIELD_MANAGER_METADATA_KEY) ?? "").slice(0, 128) || managerFromUserAgent(first("user-agent")?.split(" ")[0]);
  return manager ? { manager, operation: "Update" } : undefined;
}

/** The context of `call` (created on first use from the call's authenticated user; audit annotations go to its audit event); one per call. */
export function callContext(call: object, dryRun = false): RequestContext {
  let ctx = contexts.get(call);
  if (!ctx) {
    ctx = newRequestContext(requestUser(call), dryRun, auditAnnotationsOf(call), fieldManagerOf(call));
    contexts.set(call, ctx);
  }
  return ctx;
}

/** The warnings admission left on `call`, each once, in order (the REST gateway sends them as `Warning` headers). */
export function callWarnings(call: object): string[] {
  const warnings = contexts.get(call)?.warnings;
  return warnings?.length ? [...new Set(warnings)] : [];
}

/** Sends `call`'s warnings as response header metadata, `warning: 299 - "text"` per warning; nothing when there are none. */
export function sendWarnings(call: { sendMetadata?: (md: Metadata) => void }): void {
  const warnings = callWarnings(call);
  if (warnings.length === 0 || typeof call.sendMetadata !== "function") return;
  const md = new Metadata();
  for (const w of warnings) md.add(WARNING_METADATA_KEY, warningHeader(w));
  call.sendMetadata(md);
}
