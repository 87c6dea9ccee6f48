// What the batch calls (BindPods, CreateEvents) share: a size limit, and each item authorized and applied on its own, its failure its own Status.
import { apiErrors, metaV1 } from "@kubeplane/api";
import type { Logger } from "@kubeplane/service-kit";
import type { UserInfo } from "./authn/index.js";
import { forbiddenError, resourceAttributes, type Authorizer } from "./authz/index.js";
import { toApiError } from "./status-mapping.js";

/** etcd's default --max-txn-ops: a batch fits one group-committed txn. */
export const MAX_ITEMS_PER_BATCH = 128;

const SUCCESS: metaV1.Status = metaV1.Status.fromPartial({ apiVersion: "v1", kind: "Status", status: "Success", code: 201 });

/** Refuses a batch of more than MAX_ITEMS_PER_BATCH items as a whole (Invalid, on `field`). */
export function checkBatchSize(count: number, field: string, kind: string): void {
  if (count <= MAX_ITEMS_PER_BATCH) return;
  throw apiErrors.invalid({ resource: field, kind, name: "" }, [{ type: "FieldValueTooMany", field, value: count, detail: `must have at most ${MAX_ITEMS_PER_BATCH} items` }]);
}

/** One item of a batch, once decoded: what to authorize it as, and how to apply it. */
export interface BatchItem {
  attributes: Parameters<typeof resourceAttributes>[1];
  apply: () => Promise<unknown>;
}

/**
 * Settles every item of a batch on its own and concurrently (so the store's group commit can put
 * their writes in one txn): `prepare` decodes it, the authorizer (when given) is asked for it, then it
 * is applied. Each result is Success or the item's own failure as a Status; an item never fails its
 * neighbours.
 */
export function settleEachAlone<Raw>(raws: Raw[], deps: { authorizer?: Authorizer | undefined; logger: Logger }, user: UserInfo, prepare: (raw: Raw) => BatchItem): Promise<{ status: metaV1.Status }[]> {
  return Promise.all(
    raws.map(async (raw) => {
      try {
        const item = prepare(raw);
        if (deps.authorizer) {
          const attrs = resourceAttributes(user, item.attributes);
          const verdict = await deps.authorizer.authorize(attrs);
          if (verdict.decision !== "allow") throw forbiddenError(attrs, verdict.reason);
        }
        await item.apply();
        return { status: SUCCESS };
      } catch (err) {
        return { status: toApiError(err, deps.logger).status };
      }
    }),
  );
}
