// One watch over the JetStream watch stream, as events to a sink: shared by the gRPC Watch and the REST `watch=1`.
import { apiErrors, revisionEndVersion, revisionOfResourceVersion, RV_ORDINALS, type ApiObject, type KindInfo } from "@kubeplane/api";
import type { JetStreamClient, JetStreamManager } from "nats";
import { RevisionGoneError, openEventStream, resourceFilter } from "@kubeplane/watch";
import { objectFilter } from "./list-filter.js";
import type { ApiserverMetrics } from "./metrics.js";
import { decodeFromStorage } from "./object-codec.js";
import type { Registry } from "./registry.js";

export interface WatchEventsDeps {
  registry: Registry;
  /** The JetStream the watch publisher writes to. */
  source: { js: JetStreamClient; jsm: JetStreamManager };
  metrics: ApiserverMetrics;
  bookmarkIntervalMs: number;
}

export interface WatchParams {
  namespace: string;
  labelSelector: string;
  fieldSelector: string;
  /** Events after this version; "" or "0": the current objects first, as ADDED. */
  resourceVersion: string;
  allowWatchBookmarks: boolean;
  /** After the initial ADDED events, a BOOKMARK annotated `k8s.io/initial-events-end` (Kubernetes' watch-list). */
  sendInitialEvents: boolean;
  /** Called once the stream is open (errors after it are the stream's, not the request's). */
  onOpen?: () => void;
}

export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK";

/** Receives each event in order; the watch waits for the returned promise (backpressure). */
export type WatchSink = (type: WatchEventType, obj: ApiObject, revision: number) => Promise<void>;

export const INITIAL_EVENTS_END_ANNOTATION = "k8s.io/initial-events-end";

/**
 * Runs one watch until the signal aborts or the stream ends. With a resourceVersion, replays the
 * stream after it, exactly (a version inside a batched revision gets only that revision's later
 * events; Gone when the stream no longer holds that history); without, subscribes first, lists,
 * sends every object as ADDED and continues after the list's resourceVersion. Bookmarks carry only
 * revision-end versions (R × 128 + 127) of revisions this watch has wholly sent. Objects that stop
 * matching a selector are sent as DELETED, objects that start matching as ADDED, as Kubernetes'
 * filtered watches do. Throws ApiErrors (BadRequest, Gone) before the first event.
 */
export async function runWatch(info: KindInfo, params: WatchParams, deps: WatchEventsDeps, signal: AbortSignal, sink: WatchSink): Promise<void> {
  const namespace = info.namespaced ? params.namespace : "";
  const filter = objectFilter(info, params.labelSelector, params.fieldSelector);
  const present = new Set<string>();
  const keyOf = (o: ApiObject): string => `${o.metadata?.namespace ?? ""}/${o.metadata?.name ?? ""}`;
  const labels = { group: info.group, version: info.version, resource: info.resource };
  deps.metrics.registeredWatchers.inc(labels);
  const sent = deps.metrics.watchEventsSent.labels(labels);
  sent.inc(0); // the series exists from the first watch of a resource, before its first event
  const emit = async (type: WatchEventType, obj: ApiObject, revision: number): Promise<void> => {
    if (type !== "BOOKMARK") sent.inc();
    await sink(type, obj, revision);
  };
  const bookmark = (revision: number, annotations: Record<string, string> = {}): ApiObject =>
    info.codec.fromPartial({ apiVersion: info.apiVersion, kind: info.kind, metadata: { resourceVersion: String(revision), annotations } });
  try {
    let after: number | undefined;
    if (params.resourceVersion && params.resourceVersion !== "0") {
      after = Number(params.resourceVersion);
      if (!Number.isSafeInteger(after) || after < 0) throw apiErrors.badRequest(`invalid resourceVersion "${params.resourceVersion}"`);
    }
    let stream;
    try {
      stream = await openEventStream(deps.source.js, deps.source.jsm, { filterSubjects: [resourceFilter(info.resource, namespace || undefined)], afterRevision: after, signal });
    } catch (err) {
      if (err instanceof RevisionGoneError) throw apiErrors.gone(`too old resource version: ${params.resourceVersion}`);
      throw err;
    }
    params.onOpen?.();
    let lastRevision = after ?? 0;
    // The latest revision-end version at or below which every event has been sent; a bookmark carries it.
    let complete = after === undefined || after < RV_ORDINALS ? 0 : after % RV_ORDINALS === RV_ORDINALS - 1 ? after : revisionEndVersion(revisionOfResourceVersion(after) - 1);
    if (after === undefined) {
      // Subscribed; now the state to start from.
      let token = "";
      do {
        const page = await deps.registry.list(info, { namespace, labelSelector: params.labelSelector, fieldSelector: params.fieldSelector, limit: 500, continueToken: token });
        for (const obj of page.items) {
          present.add(keyOf(obj));
          await emit("ADDED", obj, Number(obj.metadata?.resourceVersion ?? 0));
        }
        lastRevision = page.resourceVersion;
        complete = page.resourceVersion;
        token = page.continueToken;
      } while (token);
      if (params.sendInitialEvents) await emit("BOOKMARK", bookmark(lastRevision, { [INITIAL_EVENTS_END_ANNOTATION]: "true" }), lastRevision);
    }
    const bookmarks = params.allowWatchBookmarks
      ? setInterval(() => {
          // Only once the revision of the last event sent is known whole (its last change seen, or a later revision's).
          if (complete >= lastRevision) emit("BOOKMARK", bookmark(complete), complete).catch(() => undefined);
        }, deps.bookmarkIntervalMs)
      : undefined;
    try {
      signal.addEventListener("abort", () => void stream.close(), { once: true });
      for await (const item of stream) {
        if (item.revision <= lastRevision) continue;
        lastRevision = item.revision;
        const revision = revisionOfResourceVersion(item.revision);
        complete = Math.max(complete, revisionEndVersion(item.revisionEnd ? revision : revision - 1));
        const ev = item.event;
        if (!ev.object) continue;
        const obj = decodeFromStorage(info, ev.object.data, item.revision);
        const key = keyOf(obj);
        const matches = filter.matches(obj);
        if (ev.type === "DELETED") {
          if (matches || present.has(key)) await emit("DELETED", obj, item.revision);
          present.delete(key);
        } else if (matches) {
          // An object this watch has not sent yet (it started matching) is ADDED to the watcher.
          const type = ev.type === "ADDED" || (after === undefined && !present.has(key)) ? "ADDED" : (ev.type as WatchEventType);
          present.add(key);
          await emit(type, obj, item.revision);
        } else if (present.has(key)) {
          present.delete(key);
          await emit("DELETED", obj, item.revision);
        }
      }
    } finally {
      if (bookmarks) clearInterval(bookmarks);
    }
  } finally {
    deps.metrics.registeredWatchers.dec(labels);
  }
}
