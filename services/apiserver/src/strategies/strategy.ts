// The Strategy contract (Kubernetes' REST create/update/delete strategies): per-kind rules of the write path
// that are not defaulting or schema validation. The generic store calls these and knows no kind.
import { isDeepStrictEqual } from "node:util";
import type { ApiObject, FieldError, KindInfo } from "@kubeplane/api";
import type { UserInfo } from "../authn/index.js";

/** What a strategy may know of the request (the CSR strategy fills the requester from the user). */
export interface StrategyRequest {
  readonly user: UserInfo;
}

/** One reservation written (or deleted) in the object's own etcd transaction. */
export interface Reservation {
  key: string;
  value: Uint8Array;
}

/** The reservations a write creates and releases (Service addresses). */
export interface ReservationPlan {
  create: Reservation[];
  release: string[];
  /** Keys the writer chose by value: a collision on one is the writer's error, not a reason to pick again. */
  chosen: ReadonlySet<string>;
}

/**
 * Keys a kind reserves beside its objects, in the same etcd transaction (kube-apiserver's Service
 * allocators). Called by the store inside its write loop; `exclude` holds keys found taken earlier.
 */
export interface Reservations {
  /** Fills what the object needs reserved (mutating it) and says which keys to create and release; throws Invalid. */
  plan(obj: ApiObject, old: ApiObject | undefined, exclude: Set<string>): ReservationPlan;
  /** A reservation `key` was taken: throws Invalid for a chosen key, else clears the pick so `plan` picks again. */
  taken(info: KindInfo, obj: ApiObject, plan: ReservationPlan, key: string, exclude: Set<string>, attempt: number): void;
  /** The keys a stored object holds (released when it is deleted). */
  held(obj: ApiObject): string[];
}

/**
 * A kind's write rules. Strategies are stateless and shared by concurrent requests; every hook is
 * synchronous and may throw an ApiError. The store calls, in order: create — prepareForCreate,
 * defaults, admission, validate, warnings; update — prepareForUpdate, defaults, admission, validate, warnings; status —
 * prepareForStatusUpdate, admission, status validation; delete — gracePeriod, prepareForDelete.
 */
export interface Strategy {
  /** Resets what a create may not set and fills the status a new object starts with. */
  prepareForCreate(info: KindInfo, obj: ApiObject, request: StrategyRequest | undefined): void;
  /** A spec write: keeps status (kinds with a status subresource) and system metadata; moves generation. */
  prepareForUpdate(info: KindInfo, obj: ApiObject, old: ApiObject): void;
  /** A status write: returns the next object, with only status taken from `obj`. */
  prepareForStatusUpdate(info: KindInfo, obj: ApiObject, old: ApiObject): ApiObject;
  /** Rules beyond libs/api's validation (which the store runs first); `old` for updates. */
  validate(info: KindInfo, obj: ApiObject, old: ApiObject | undefined): FieldError[];
  /** Warnings for the client about a valid object (Kubernetes' WarningsOnCreate/WarningsOnUpdate): deprecated fields, labels; `old` for updates. */
  warnings(obj: ApiObject, old: ApiObject | undefined): string[];
  /** Whether the object still waits on finalizers (metadata's, and a kind's own such as a namespace's spec.finalizers). */
  hasFinalizers(obj: ApiObject): boolean;
  /** The grace period a delete gets (0: the object goes at once, unless finalizers hold it). */
  gracePeriod(obj: ApiObject, requested: number | undefined): number;
  /** An object whose graceful deletion is under way stays after its finalizers are gone (pods). */
  gracefulPending(obj: ApiObject): boolean;
  /** Changes a delete makes to an object that stays (a namespace becomes Terminating). */
  prepareForDelete(obj: ApiObject): void;
  /** Keys reserved beside the object (Service addresses); absent for most kinds. */
  readonly reservations?: Reservations | undefined;
  /** Seconds an object lives after its last write (Events), undefined: until deleted. */
  ttlSeconds(): number | undefined;
}

type Loose = ApiObject & { spec?: unknown; status?: unknown; [field: string]: unknown };

/** The empty status of a kind, as its codec builds it. */
export function emptyStatus(info: KindInfo): Record<string, unknown> {
  return (info.codec.fromPartial({ status: {} }) as Loose).status as Record<string, unknown>;
}

/** Everything but metadata and status: what generation tracks. */
function desired(obj: ApiObject): Record<string, unknown> {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = obj as Loose;
  return rest;
}

/** Kubernetes' rule for every kind: an object being deleted gets no new finalizers. */
export function finalizerRules(next: ApiObject, old: ApiObject | undefined): FieldError[] {
  if (!old?.metadata?.deletionTimestamp) return [];
  const had = new Set(old.metadata.finalizers);
  const added = (next.metadata?.finalizers ?? []).filter((f) => !had.has(f));
  return added.length
    ? [{ type: "FieldValueForbidden", field: "metadata.finalizers", detail: `no new finalizers can be added if the object is being deleted, found new finalizers ${JSON.stringify(added)}` }]
    : [];
}

/** A spec write leaves status as stored, for kinds with a status subresource. */
export function keepStatus(info: KindInfo, obj: ApiObject, old: ApiObject): void {
  if (info.hasStatus) (obj as Loose).status = (old as Loose).status;
}

/** A spec write keeps system metadata, and generation moves only when the desired state changed. */
export function keepSystemMetadata(obj: ApiObject, old: ApiObject): void {
  const meta = obj.metadata!;
  const oldMeta = old.metadata!;
  meta.uid ||= oldMeta.uid;
  meta.creationTimestamp ||= oldMeta.creationTimestamp;
  meta.deletionTimestamp = oldMeta.deletionTimestamp;
  meta.deletionGracePeriodSeconds = oldMeta.deletionGracePeriodSeconds;
  meta.generation = isDeepStrictEqual(desired(obj), desired(old)) ? oldMeta.generation : oldMeta.generation + 1;
}

/** The default strategy: what every kind does unless its own strategy says otherwise. */
export const defaultStrategy: Strategy = {
  prepareForCreate() {},
  prepareForUpdate(info, obj, old) {
    keepStatus(info, obj, old);
    keepSystemMetadata(obj, old);
  },
  prepareForStatusUpdate(info, obj, old) {
    const next = info.codec.fromPartial(old) as Loose;
    next.status = (obj as Loose).status;
    // A status writer may not move metadata, but Kubernetes lets it keep its resourceVersion precondition.
    next.metadata!.resourceVersion = obj.metadata?.resourceVersion ?? "";
    return next;
  },
  validate: (_info, obj, old) => finalizerRules(obj, old),
  warnings: () => [],
  hasFinalizers: (obj) => (obj.metadata?.finalizers.length ?? 0) > 0,
  gracePeriod: () => 0,
  gracefulPending: () => false,
  prepareForDelete() {},
  ttlSeconds: () => undefined,
};

/** A kind whose status a create clears: it is the controllers' to write (kube-apiserver's PrepareForCreate). */
export const statusResetStrategy: Strategy = {
  ...defaultStrategy,
  prepareForCreate(_info, obj) {
    (obj as Loose).status = undefined;
  },
};

/** A kind that starts in `phase` (PersistentVolumes and claims start Pending). */
export function startingPhaseStrategy(phase: string): Strategy {
  return {
    ...defaultStrategy,
    prepareForCreate(info, obj) {
      (obj as Loose).status = { ...emptyStatus(info), phase };
    },
  };
}
