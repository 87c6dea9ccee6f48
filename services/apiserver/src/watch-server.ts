// The gRPC Watch: served from the JetStream watch stream (ARCHITECTURE §4), not from etcd.
import type { ServerWritableStream } from "@grpc/grpc-js";
import type { apiserverV1 } from "@kubeplane/api";
import type { Logger } from "@kubeplane/service-kit";
import { drainedOrGone } from "./drained.js";
import { resolveResource } from "./resource-resolution.js";
import { toServiceError } from "./status-mapping.js";
import { encodeReplyObject } from "./object-codec.js";
import { runWatch, type WatchEventsDeps } from "./watch-events.js";

export interface WatchDeps extends WatchEventsDeps {
  logger: Logger;
}

type Call = ServerWritableStream<apiserverV1.WatchRequest, apiserverV1.WatchEvent>;

/**
 * Serves one Watch (see `runWatch`): every event is written to the call in order, waiting for the
 * stream to drain when its buffer is full; a failure ends the call with its Status.
 */
export function createWatchHandler(deps: WatchDeps) {
  return (call: Call): void => {
    const controller = new AbortController();
    call.on("cancelled", () => controller.abort());
    call.on("close", () => controller.abort());
    const req = call.request;
    const serve = async (): Promise<void> => {
      const info = resolveResource(req.resource);
      await runWatch(
        info,
        { namespace: req.namespace, labelSelector: req.labelSelector, fieldSelector: req.fieldSelector, resourceVersion: req.resourceVersion, allowWatchBookmarks: req.allowWatchBookmarks, sendInitialEvents: false },
        deps,
        controller.signal,
        async (type, obj, revision) => {
          const ok = call.write({ type, object: encodeReplyObject(info, obj, req.accept), revision });
          if (!ok) await drainedOrGone(call, controller.signal);
        },
      );
    };
    serve().then(
      () => call.end(),
      (err: unknown) => {
        if (controller.signal.aborted) return;
        // grpc-js turns an 'error' event on a server stream into the call's status.
        call.emit("error", toServiceError(err, deps.logger));
      },
    );
  };
}
