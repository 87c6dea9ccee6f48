// `watch=1`: the JetStream-backed watch as a chunked stream of JSON `{"type","object"}` lines (Tables when asked for).
import { apiErrors, encodeJson, type ApiObject } from "@kubeplane/api";
import { drainedOrGone } from "../drained.js";
import { runWatch } from "../watch-events.js";
import type { RestCall, RestDeps } from "./context.js";
import { includeObjectOf, toTable, wantsTable } from "./table.js";

/** Kubernetes' cap on a watch's life: a random 30–60 min unless the client asks for less (timeoutSeconds). */
function timeoutMsOf(call: RestCall): number {
  const t = Number(call.query.get("timeoutSeconds") ?? "");
  if (Number.isFinite(t) && t > 0) return t * 1000;
  return (1800 + Math.random() * 1800) * 1000;
}

/**
 * Serves a watch: failures before the first event (a bad selector, 410 Gone for an expired
 * resourceVersion) are a Status reply; later ones end the stream with an ERROR event, as Kubernetes.
 * A user at flow control's watch cap gets 429 TooManyRequests (Retry-After: 1) before anything starts.
 */
export async function serveWatch(call: RestCall, deps: RestDeps): Promise<void> {
  const release = deps.watchLimiter?.tryAcquire(call.user);
  if (deps.watchLimiter && !release) {
    const cap = deps.watchLimiter.capOf(call.user);
    throw apiErrors.tooManyRequests(`Too many requests: user "${call.user.username}" already has ${cap} open watches (the limit), please try again later.`, 1);
  }
  try {
    await streamWatch(call, deps);
  } finally {
    release?.();
  }
}

async function streamWatch(call: RestCall, deps: RestDeps): Promise<void> {
  const q = call.query;
  const table = wantsTable(call.req.headers.accept);
  const include = includeObjectOf(q);
  let fieldSelector = q.get("fieldSelector") ?? "";
  if (call.info.name) fieldSelector = [fieldSelector, `metadata.name=${call.info.name}`].filter(Boolean).join(",");
  const controller = new AbortController();
  call.signal.addEventListener("abort", () => controller.abort(), { once: true });
  const timer = setTimeout(() => controller.abort(), timeoutMsOf(call));
  let first = true;
  const res = call.res;
  const open = (): void => {
    if (res.headersSent) return;
    res.writeHead(200, { "Content-Type": "application/json", "Transfer-Encoding": "chunked", "Cache-Control": "no-cache, private" });
    res.flushHeaders();
    call.audit?.responseStarted();
  };
  try {
    await runWatch(
      call.kind,
      {
        namespace: call.kind.namespaced ? call.info.namespace : "",
        labelSelector: q.get("labelSelector") ?? "",
        fieldSelector,
        resourceVersion: q.get("resourceVersion") ?? "",
        allowWatchBookmarks: q.get("allowWatchBookmarks") === "true",
        sendInitialEvents: q.get("sendInitialEvents") === "true",
        onOpen: open,
      },
      deps.watch,
      controller.signal,
      async (type, obj: ApiObject) => {
        open();
        const json = encodeJson(call.kind, obj);
        const object = table && type !== "BOOKMARK" ? toTable(call.kind, [json], { include, withColumns: first }) : json;
        if (type !== "BOOKMARK") first = false;
        if (controller.signal.aborted) return;
        if (!res.write(`${JSON.stringify({ type, object })}\n`)) await drainedOrGone(res, controller.signal);
      },
    );
    if (!res.headersSent) res.writeHead(200, { "Content-Type": "application/json" });
    res.end();
  } catch (err) {
    if (!res.headersSent) throw err;
    if (!controller.signal.aborted) {
      const status = { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message: (err as Error).message, reason: (err as { reason?: string }).reason ?? "InternalError", code: (err as { code?: number }).code ?? 500 };
      res.write(`${JSON.stringify({ type: "ERROR", object: status })}\n`);
    }
    res.end();
  } finally {
    clearTimeout(timer);
  }
}
