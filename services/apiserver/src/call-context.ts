// A gRPC call's RequestContext (its user and dryRun, and admission's warnings), and the warnings sent back as
// response metadata in Kubernetes' `Warning` header format.
import { Metadata } from "@grpc/grpc-js";
import { auditAnnotationsOf } from "./audit/index.js";
import { requestUser } from "./authn/index.js";
import { newRequestContext, warningHeader, type RequestContext } from "./request-context.js";

/** The response metadata key of warnings (one value per warning), as Kubernetes' HTTP `Warning` header. */
export const WARNING_METADATA_KEY = "warning";

const contexts = new WeakMap<object, RequestContext>();

/** The context of `call` (created on first use from the call's authenticated user; audit annotations go to its audit event); one per call. */
export function callContext(call: object, dryRun = false): RequestContext {
  let ctx = contexts.get(call);
  if (!ctx) {
    ctx = newRequestContext(requestUser(call), dryRun, auditAnnotationsOf(call));
    contexts.set(call, ctx);
  }
  return ctx;
}

/** The warnings admission left on `call`, each once, in order (the REST gateway sends them as `Warning` headers). */
export function callWarnings(call: object): string[] {
  return [...new Set(contexts.get(call)?.warnings ?? [])];
}

/** Sends `call`'s warnings as response header metadata, `warning: 299 - "text"` per warning; nothing when there are none. */
export function sendWarnings(call: { sendMetadata?: (md: Metadata) => void }): void {
  const warnings = callWarnings(call);
  if (warnings.length === 0 || typeof call.sendMetadata !== "function") return;
  const md = new Metadata();
  for (const w of warnings) md.add(WARNING_METADATA_KEY, warningHeader(w));
  call.sendMetadata(md);
}
