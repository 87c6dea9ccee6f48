// Event recorders for the controllers: one EventBroadcaster per source component, all sharing the process's lifetime.
import { EventBroadcaster, type EventBroadcasterOptions } from "@kubeplane/client";
import type { Logger } from "@kubeplane/controller";

/**
 * What a controller records core/v1 Events with (EventBroadcaster's `record`, bound to one
 * source.component). `record` returns at once and never throws; the Event is written in the
 * background, or dropped under a burst. Call it only after the action it reports has happened.
 */
export type EventRecorder = Pick<EventBroadcaster, "record">;

export interface EventRecordersOptions {
  client: EventBroadcasterOptions["client"];
  /** reportingInstance: this replica's identity. */
  instance: string;
  logger: Logger;
}

/**
 * Creates an EventBroadcaster per component on first use ("replicaset-controller",
 * "deployment-controller", …), as each of Kubernetes' controllers has its own recorder, and
 * flushes them all at shutdown. Not meant to be used after `flush`.
 */
export class EventRecorders {
  private readonly byComponent = new Map<string, EventBroadcaster>();

  constructor(private readonly opts: EventRecordersOptions) {}

  /** The recorder whose Events carry `component` as source.component and reportingComponent. */
  for(component: string): EventRecorder {
    let broadcaster = this.byComponent.get(component);
    if (!broadcaster) {
      const { client, instance, logger } = this.opts;
      broadcaster = new EventBroadcaster({
        client,
        component,
        instance,
        onError: (err, e) => logger.warn({ err, component, reason: e.reason, namespace: e.involvedObject?.namespace, name: e.involvedObject?.name }, "unable to write event"),
        onDrop: (e) => logger.warn({ component, reason: e.reason, namespace: e.involvedObject?.namespace, name: e.involvedObject?.name }, "event dropped (queue full or too many events about the object)"),
      });
      this.byComponent.set(component, broadcaster);
    }
    return broadcaster;
  }

  /** Waits (up to `timeoutMs`) for every recorder's queued Events to be written. */
  async flush(timeoutMs?: number): Promise<void> {
    await Promise.all([...this.byComponent.values()].map((b) => b.flush(timeoutMs)));
  }
}

/** An error's message for an event ("Error creating: MSG"). */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
