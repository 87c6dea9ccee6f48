// The gRPC Watch: served from the JetStream watch stream (ARCHITECTURE §4), not from etcd.
import type { ServerWritableStream } from "@grpc/grpc-js";
import type { apiserverV1} from "@kubeplane/api";
import { apiErrors, type ApiObject, type KindInfo } from "@kubeplane/api";
import type { JetStreamClient, JetStreamManager } from "nats";
import { RevisionGoneError, openEventStream, resourceFilter } from "@kubeplane/watch";
import type { Logger } from "@kubeplane/service-kit";
import { resolveResource } from "./resource-resolution.js";
import { toServiceError } from "./status-mapping.js";
import { objectFilter } from "./list-filter.js";
import type { ApiserverMetrics } from "./metrics.js";
import { decodeFromStorage, encodeReplyObject } from "./object-codec.js";
import type { Registry } from "./registry.js";

export interface WatchDeps {
  registry: Registry;
  /** The JetStream the watch publisher writes to. */
  source: { js: JetStreamClient; jsm: JetStreamManager };
  metrics: ApiserverMetrics;
  logger: Logger;
  bookmarkIntervalMs: number;
}

type Call = ServerWritableStream<apiserverV1.WatchRequest, apiserverV1.WatchEvent>;

/**
 * Serves one Watch: with a resourceVersion, replays the stream after it (Gone when the stream no
 * longer holds that history); without, subscribes first, lists, sends every object as ADDED and
 * continues with the events after the list's revision. Objects that stop matching a selector are
 * sent as DELETED, objects that start matching as ADDED, as Kubernetes' filtered watches do.
 */
export function createWatchHandler(deps: WatchDeps) {
  return (call: Call): void => {
    const controller = new AbortController();
    call.on("cancelled", () => controller.abort());
    call.on("close", () => controller.abort());
    serve(call, controller.signal, deps).then(
      () => call.end(),
      (err: unknown) => {
        if (controller.signal.aborted) return;
        // grpc-js turns an 'error' event on a server stream into the call's status.
        call.emit("error", toServiceError(err, deps.logger));
      },
    );
  };
}

async function serve(call: Call, signal: AbortSignal, deps: WatchDeps): Promise<void> {
  const req = call.request;
  const info = resolveResource(req.resource);
  const namespace = info.namespaced ? req.namespace : "";
  const filter = objectFilter(info, req.labelSelector, req.fieldSelector);
  const present = new Set<string>();
  const keyOf = (o: ApiObject): string => `${o.metadata?.namespace ?? ""}/${o.metadata?.name ?? ""}`;
  const labels = { group: info.group, version: info.version, resource: info.resource };
  deps.metrics.registeredWatchers.inc(labels);
  const sent = deps.metrics.watchEventsSent.labels(labels);
  sent.inc(0); // the series exists from the first watch of a resource, before its first event
  try {
    let after: number | undefined;
    if (req.resourceVersion && req.resourceVersion !== "0") {
      after = Number(req.resourceVersion);
      if (!Number.isSafeInteger(after) || after < 0) throw apiErrors.badRequest(`invalid resourceVersion "${req.resourceVersion}"`);
    }
    let stream;
    try {
      stream = await openEventStream(deps.source.js, deps.source.jsm, { filterSubjects: [resourceFilter(info.resource, namespace || undefined)], afterRevision: after, signal });
    } catch (err) {
      if (err instanceof RevisionGoneError) throw apiErrors.gone(`too old resource version: ${req.resourceVersion}`);
      throw err;
    }
    let lastRevision = after ?? 0;
    if (after === undefined) {
      // Subscribed; now the state to start from.
      let token = "";
      do {
        const page = await deps.registry.list(info, { namespace, labelSelector: req.labelSelector, fieldSelector: req.fieldSelector, limit: 500, continueToken: token });
        for (const obj of page.items) {
          present.add(keyOf(obj));
          await send(call, "ADDED", info, obj, Number(obj.metadata?.resourceVersion ?? 0), req.accept, sent);
        }
        lastRevision = page.revision;
        token = page.continueToken;
      } while (token);
    }
    const bookmarks = req.allowWatchBookmarks
      ? setInterval(() => {
          void sendBookmark(call, info, lastRevision, req.accept);
        }, deps.bookmarkIntervalMs)
      : undefined;
    try {
      signal.addEventListener("abort", () => void stream.close(), { once: true });
      for await (const item of stream) {
        if (item.revision <= lastRevision) continue;
        lastRevision = item.revision;
        const ev = item.event;
        if (!ev.object) continue;
        const obj = decodeFromStorage(info, ev.object.data, item.revision);
        const key = keyOf(obj);
        const matches = filter.matches(obj);
        if (ev.type === "DELETED") {
          if (matches || present.has(key)) await send(call, "DELETED", info, obj, item.revision, req.accept, sent);
          present.delete(key);
        } else if (matches) {
          // An object this watch has not sent yet (it started matching) is ADDED to the watcher.
          const type = ev.type === "ADDED" || (after === undefined && !present.has(key)) ? "ADDED" : ev.type;
          present.add(key);
          await send(call, type, info, obj, item.revision, req.accept, sent);
        } else if (present.has(key)) {
          present.delete(key);
          await send(call, "DELETED", info, obj, item.revision, req.accept, sent);
        }
      }
    } finally {
      if (bookmarks) clearInterval(bookmarks);
    }
  } finally {
    deps.metrics.registeredWatchers.dec(labels);
  }
}

/** Writes one watch event, waiting for the stream to drain when its buffer is full; `sent` counts events (not bookmarks). */
async function send(call: Call, type: string, info: KindInfo, obj: ApiObject, revision: number, accept: apiserverV1.Encoding, sent?: { inc(): void }): Promise<void> {
  sent?.inc();
  const ok = call.write({ type, object: encodeReplyObject(info, obj, accept), revision });
  if (!ok) await new Promise<void>((resolve) => call.once("drain", () => resolve()));
}

async function sendBookmark(call: Call, info: KindInfo, revision: number, accept: apiserverV1.Encoding): Promise<void> {
  const obj = info.codec.fromPartial({ apiVersion: info.apiVersion, kind: info.kind, metadata: { resourceVersion: String(revision) } });
  await send(call, "BOOKMARK", info, obj, revision, accept);
}
