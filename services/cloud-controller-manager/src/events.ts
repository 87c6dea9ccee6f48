// Records core/v1 Events about the objects the cloud controllers act on.
import { randomBytes } from "node:crypto";
import { coreV1Event, kindFor, type ApiObject, type KindInfo } from "@kubeplane/api";
import type { ApiClient } from "@kubeplane/client";
import type { Logger } from "@kubeplane/service-kit";

const events = kindFor("v1", "Event") as KindInfo<coreV1Event.Event>;
export const COMPONENT = "cloud-controller-manager";

/** Kubernetes' event time format (seconds). */
function timestamp(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
}

/**
 * Writes Events through the apiserver. `record` is awaited by the reconcile that decides on it, so
 * an event is never lost to a process exit; a failure to write one is logged, never thrown.
 */
export class EventRecorder {
  constructor(
    private readonly client: ApiClient,
    private readonly logger: Logger,
    private readonly identity: string,
  ) {}

  async record(kind: KindInfo, obj: ApiObject, type: "Normal" | "Warning", reason: string, message: string, action = reason): Promise<void> {
    const namespace = obj.metadata?.namespace || "default";
    const name = obj.metadata?.name ?? "";
    const now = timestamp();
    const ev = coreV1Event.Event.fromPartial({
      apiVersion: "v1",
      kind: "Event",
      metadata: { namespace, name: `${name}.${randomBytes(8).toString("hex")}` },
      involvedObject: {
        apiVersion: kind.apiVersion,
        kind: kind.kind,
        namespace: obj.metadata?.namespace ?? "",
        name,
        uid: obj.metadata?.uid ?? "",
        resourceVersion: obj.metadata?.resourceVersion ?? "",
      },
      reason,
      message,
      type,
      action,
      source: { component: COMPONENT },
      reportingComponent: COMPONENT,
      reportingInstance: this.identity,
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    });
    try {
      await this.client.create(events, ev);
    } catch (err) {
      this.logger.warn({ err, kind: kind.kind, namespace, name, reason }, "could not record event");
    }
  }
}
