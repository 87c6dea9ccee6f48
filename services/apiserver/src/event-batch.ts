// CreateEvents: many core/v1 Event creates in one request (the event broadcaster), each authorized, admitted, validated and stored on its own.
import { kindFor, type apiserverV1, type coreV1Event, type KindInfo } from "@kubeplane/api";
import type { Logger } from "@kubeplane/service-kit";
import { requestUser } from "./authn/index.js";
import type { Authorizer } from "./authz/index.js";
import { checkBatchSize, settleEachAlone } from "./batch-call.js";
import { decodeRequestObject } from "./object-codec.js";
import type { Registry } from "./registry.js";
import type { RequestContext } from "./request-context.js";

const events = kindFor("v1", "Event") as KindInfo<coreV1Event.Event>;

export interface CreateEventsDeps {
  registry: Registry;
  /** Asked once per event (create events in its namespace); absent: the call's own authorization is the only check. */
  authorizer?: Authorizer | undefined;
  logger: Logger;
}

/**
 * Serves CreateEvents. The call itself was authorized for `create events` in its namespace (every
 * namespace when it names none); each event is then authorized in its own namespace, decoded and
 * created exactly as a single Create call (admission, defaulting, validation, storage), all of them
 * concurrently so the store's group commit writes them in one txn. An event that fails gets its
 * Status in the reply and never fails its neighbours; the call as a whole fails only when it is
 * malformed (over MAX_ITEMS_PER_BATCH).
 */
export async function createEvents(deps: CreateEventsDeps, req: apiserverV1.CreateEventsRequest, call: object, ctx: RequestContext): Promise<apiserverV1.CreateEventsReply> {
  checkBatchSize(req.events.length, "events", "Event");
  const results = await settleEachAlone(req.events, deps, requestUser(call), (raw) => {
    const event = decodeRequestObject(events, raw);
    return {
      attributes: { verb: "create", resource: "events", namespace: req.namespace || event.metadata?.namespace || "" },
      apply: () => deps.registry.create(events, req.namespace, event, ctx),
    };
  });
  return { results };
}
