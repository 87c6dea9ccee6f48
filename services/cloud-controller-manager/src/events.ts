// Records core/v1 Events about the objects the cloud controllers act on.
import { EventBroadcaster, type ApiClient } from "@kubeplane/client";
import type { Logger } from "@kubeplane/service-kit";

export const COMPONENT = "cloud-controller-manager";

/** What the controllers use: `record` (background, never throws) and `flush` at shutdown. */
export type EventRecorder = Pick<EventBroadcaster, "record" | "flush">;

/**
 * Events written in the background by the shared EventBroadcaster (identical repeats folded into a
 * count, a per-object spam filter); `flush` at shutdown writes what is still queued.
 */
export function cloudEventRecorder(client: ApiClient, logger: Logger, identity: string): EventRecorder {
  return new EventBroadcaster({
    client,
    component: COMPONENT,
    instance: identity,
    onError: (err, e) =>
      logger.warn({ err, kind: e.involvedObject?.kind, namespace: e.involvedObject?.namespace, name: e.involvedObject?.name, reason: e.reason }, "could not record event"),
  });
}
