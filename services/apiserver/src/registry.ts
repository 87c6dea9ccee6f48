// The object registry: every verb of the generic API over etcd — decode is done, here we default,
// validate, allocate and store with optimistic concurrency (ARCHITECTURE §2, §3).
import { randomUUID, randomInt } from "node:crypto";
import type {
  coreV1Service} from "@kubeplane/api";
import {
  apiErrors,
  applyDefaults,
  isApiError,
  kindForResource,
  mergePatch,
  decodeJson,
  encodeJson,
  namespacePrefix,
  registryKey,
  resourcePrefix,
  validateObject,
  validateStatusUpdate,
  type ApiObject,
  type ErrorSubject,
  type FieldError,
  type KindInfo,
} from "@kubeplane/api";
import { CompactedError, KeyExistsError, LeaseManager, RevisionMismatchError, type EtcdStore, type StoredValue } from "@kubeplane/storage";
import { decodeFromStorage, encodeForStorage } from "./object-codec.js";
import { decodeContinue, encodeContinue, objectFilter } from "./list-filter.js";
import { deleteGracePeriod, objectTtlSeconds, prepareForCreate, prepareForStatusUpdate, prepareForUpdate } from "./strategy.js";
import type { ServiceAddresses, AddressPlan } from "./service-addresses.js";
import { NamespaceGate } from "./namespace-gate.js";
import { identityTransformer, type ValueTransformer } from "./encryption.js";
import { RecentObjects } from "./recent-objects.js";
import type { MutatingAdmission } from "./service-account-admission.js";

type Service = coreV1Service.Service;

export interface RegistryOptions {
  maxObjectBytes: number;
  /** Encryption at rest (Secrets); default none. */
  transformer?: ValueTransformer;
  addresses: ServiceAddresses;
  now?: () => Date;
  /** Events expire this long after their last write (lease-attached); 0 or absent: never. */
  eventTtlSeconds?: number;
  /** Mutating admission of creates (the ServiceAccount step), after defaulting, before validation. */
  admission?: MutatingAdmission | undefined;
}

export interface ListParams {
  namespace: string;
  labelSelector: string;
  fieldSelector: string;
  limit: number;
  continueToken: string;
}

export interface ListPage<T> {
  items: T[];
  revision: number;
  continueToken: string;
  remainingItemCount?: number;
}

export interface DeleteParams {
  gracePeriodSeconds?: number;
  propagationPolicy: string;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun: boolean;
}

const conflictRetries = 20;
/** Namespaces the apiserver keeps: created at start, never deleted. */
export const systemNamespaces = ["default", "kube-system", "kube-public", "kube-node-lease"] as const;

/** RFC 3339 with second precision, as Kubernetes writes metav1.Time. */
export function timestamp(date: Date): string {
  const iso = date.toISOString();
  // "YYYY-MM-DDTHH:MM:SS.sssZ" for every year 0–9999; drop the milliseconds.
  return iso.length === 24 ? `${iso.slice(0, 19)}Z` : iso.replace(/\.\d{3}Z$/, "Z");
}

function subject(info: KindInfo, name: string): ErrorSubject {
  return { group: info.group, resource: info.resource, kind: info.kind, name };
}

/** Metadata finalizers, and for namespaces also spec.finalizers (the namespace controller's). */
function hasFinalizers(info: KindInfo, obj: ApiObject): boolean {
  if ((obj.metadata?.finalizers.length ?? 0) > 0) return true;
  return info.resource === "namespaces" && ((obj as { spec?: { finalizers?: string[] } }).spec?.finalizers?.length ?? 0) > 0;
}

const generateNameChars = "bcdfghjklmnpqrstvwxz2456789";

/**
 * The verbs on stored objects. Methods are safe to call concurrently: every write is a
 * compare-and-swap on the object's mod_revision, so a lost race is a Conflict or a retry, never
 * a lost update. Errors are ApiErrors.
 */
export class Registry {
  readonly namespaces: NamespaceGate;
  private readonly now: () => Date;
  /** Seeds read-modify-writes so that most cost one etcd txn instead of a read and a txn. */
  private readonly recent = new RecentObjects();
  /** Leases of expiring objects (Events), shared per reuse window. */
  private readonly leases: LeaseManager;

  constructor(
    readonly store: EtcdStore,
    private readonly options: RegistryOptions,
  ) {
    this.now = options.now ?? (() => new Date());
    this.namespaces = new NamespaceGate(this);
    this.leases = new LeaseManager(store);
  }

  private read<T extends ApiObject>(info: KindInfo<T>, v: StoredValue): T {
    return decodeFromStorage(info, this.transformer.fromStorage(info, v.value), v.modRevision);
  }

  /** The object's stored bytes before encryption; refuses objects over the size limit. */
  private encode<T extends ApiObject>(info: KindInfo<T>, obj: T): Uint8Array {
    const bytes = encodeForStorage(info, obj);
    if (bytes.length > this.options.maxObjectBytes) {
      throw apiErrors.invalid(subject(info, obj.metadata?.name ?? ""), [
        { type: "FieldValueTooLong", field: "", detail: `the object is ${bytes.length} bytes; the limit is ${this.options.maxObjectBytes} bytes` },
      ]);
    }
    return bytes;
  }

  /** Whether `plain` is what `stored` holds (comparing after decryption: every seal has a new nonce). */
  private unchanged(info: KindInfo, plain: Uint8Array, stored: StoredValue): boolean {
    return Buffer.from(plain).equals(Buffer.from(this.transformer.fromStorage(info, stored.value)));
  }

  private get transformer(): ValueTransformer {
    return this.options.transformer ?? identityTransformer;
  }

  async get<T extends ApiObject>(info: KindInfo<T>, namespace: string, name: string): Promise<T> {
    const found = await this.readStored(registryKey(info, namespace, name));
    if (!found) throw apiErrors.notFound(subject(info, name));
    return this.read(info, found);
  }

  async tryGet<T extends ApiObject>(info: KindInfo<T>, namespace: string, name: string): Promise<{ obj: T; revision: number } | undefined> {
    const found = await this.readStored(registryKey(info, namespace, name));
    return found ? { obj: this.read(info, found), revision: found.modRevision } : undefined;
  }

  /** A linearizable read of `key`, remembered for later read-modify-writes. */
  private async readStored(key: string): Promise<StoredValue | undefined> {
    const found = await this.store.get(key);
    if (found) this.recent.remember(found);
    else this.recent.forget(key);
    return found;
  }

  async list<T extends ApiObject>(info: KindInfo<T>, params: ListParams): Promise<ListPage<T>> {
    const filter = objectFilter(info, params.labelSelector, params.fieldSelector);
    const prefix = info.namespaced && params.namespace ? namespacePrefix(info, params.namespace) : resourcePrefix(info);
    const token = params.continueToken ? decodeContinue(params.continueToken) : undefined;
    let revision = token?.rv;
    let start = token?.start;
    const items: T[] = [];
    const limit = params.limit > 0 ? params.limit : 0;
    for (;;) {
      let page;
      try {
        page = await this.store.list(prefix, { limit: limit ? Math.max(limit - items.length, 50) : undefined, continueFrom: start, revision });
      } catch (err) {
        if (err instanceof CompactedError) {
          throw apiErrors.gone("The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.");
        }
        throw err;
      }
      revision = page.revision;
      for (const v of page.items) {
        const obj = this.read(info, v);
        start = v.key;
        if (!filter.matches(obj)) continue;
        items.push(obj);
        if (limit && items.length === limit) {
          const more = page.more || v !== page.items[page.items.length - 1];
          return {
            items,
            revision,
            continueToken: more ? encodeContinue({ rv: revision, start: v.key }) : "",
            remainingItemCount: more && filter.matchesEverything && page.remaining !== undefined ? page.remaining + (page.items.length - page.items.indexOf(v) - 1) : undefined,
          };
        }
      }
      if (!page.more) return { items, revision, continueToken: "" };
    }
  }

  async create<T extends ApiObject>(info: KindInfo<T>, requestNamespace: string, obj: T, dryRun = false): Promise<T> {
    const meta = (obj.metadata ??= info.codec.fromPartial({ metadata: {} }).metadata);
    if (info.namespaced) {
      if (meta!.namespace && requestNamespace && meta!.namespace !== requestNamespace) {
        throw apiErrors.badRequest("the namespace of the provided object does not match the namespace sent on the request");
      }
      meta!.namespace ||= requestNamespace || "default";
    }
    if (!meta!.name && meta!.generateName) {
      meta!.name = meta!.generateName + Array.from({ length: 5 }, () => generateNameChars[randomInt(generateNameChars.length)]).join("");
    }
    meta!.uid = randomUUID();
    meta!.creationTimestamp = timestamp(this.now());
    meta!.generation = 1;
    meta!.resourceVersion = "";
    meta!.deletionTimestamp = "";
    meta!.deletionGracePeriodSeconds = undefined;
    prepareForCreate(info, obj);
    applyDefaults(info, obj);
    if (this.options.admission) {
      // Namespace lifecycle first, as Kubernetes orders its admission plugins.
      if (info.namespaced) await this.namespaces.admitWrite(meta!.namespace);
      await this.options.admission.admit(info, obj);
    }
    const errors = validateObject(info, obj);
    if (errors.length) throw apiErrors.invalid(subject(info, meta!.name), errors);
    if (info.namespaced) await this.namespaces.admitWrite(meta!.namespace);

    const key = registryKey(info, meta!.namespace, meta!.name);
    const exclude = new Set<string>();
    for (let attempt = 0; ; attempt++) {
      const plan = info.resource === "services" ? this.planAddresses(obj as unknown as Service, undefined, exclude) : undefined;
      const bytes = this.transformer.toStorage(info, this.encode(info, obj));
      if (dryRun) return obj;
      try {
        const revision = await this.store.create(key, bytes, { alsoCreate: plan?.create ?? [], lease: await this.leaseFor(info) });
        this.recent.remember({ key, value: bytes, modRevision: revision, createRevision: revision });
        meta!.resourceVersion = String(revision);
        return obj;
      } catch (err) {
        if (err instanceof KeyExistsError) {
          if (err.key === key) {
            // etcd3 retries a call whose reply was lost; if that create landed, the stored bytes are ours (the uid is new).
            const landed = await this.store.get(key);
            if (landed && Buffer.from(landed.value).equals(Buffer.from(bytes))) {
              meta!.resourceVersion = String(landed.modRevision);
              return obj;
            }
            throw apiErrors.alreadyExists(subject(info, meta!.name));
          }
          this.reservationTaken(info, obj, plan!, err.key, exclude, attempt);
          continue;
        }
        throw err;
      }
    }
  }

  private planAddresses(svc: Service, old: Service | undefined, exclude: Set<string>): AddressPlan {
    const plan = this.options.addresses.plan(svc, old, exclude);
    if (Array.isArray(plan)) throw apiErrors.invalid(subject(kindForResource("", "services")!, svc.metadata?.name ?? ""), plan);
    return plan;
  }

  /** A reservation collided: Invalid for an address the user chose, else pick again (a bounded number of times). */
  private reservationTaken(info: KindInfo, obj: ApiObject, plan: AddressPlan, key: string, exclude: Set<string>, attempt: number): void {
    const svc = obj as unknown as Service;
    if (plan.chosen.has(key)) {
      const port = svc.spec?.ports.findIndex((p) => key.endsWith(`/${p.nodePort}`)) ?? -1;
      const field = key.includes("nodeport") && port >= 0 ? `spec.ports[${port}].nodePort` : "spec.clusterIP";
      throw apiErrors.invalid(subject(info, obj.metadata?.name ?? ""), [
        { type: "FieldValueInvalid", field, value: key.slice(key.lastIndexOf("/") + 1), detail: field === "spec.clusterIP" ? "provided IP is already allocated" : "provided port is already allocated" },
      ]);
    }
    if (attempt > 50) throw apiErrors.internalError(new Error("could not allocate a free Service address after 50 attempts"));
    exclude.add(key);
    // Clear what was picked so the next plan picks again (chosen ones were kept).
    if (!key.includes("nodeport") && svc.spec) svc.spec.clusterIp = "";
    if (key.includes("nodeport")) for (const p of svc.spec?.ports ?? []) if (key.endsWith(`/${p.nodePort}`)) p.nodePort = 0;
  }

  /** A spec (whole-object) update; `resourceVersion` empty means unconditional (retried on races). */
  async update<T extends ApiObject>(info: KindInfo<T>, requestNamespace: string, obj: T, dryRun = false): Promise<T> {
    const name = obj.metadata?.name ?? "";
    const namespace = info.namespaced ? obj.metadata?.namespace || requestNamespace : "";
    if (!name) throw apiErrors.badRequest("metadata.name is required for an update");
    if (info.namespaced && requestNamespace && obj.metadata?.namespace && obj.metadata.namespace !== requestNamespace) {
      throw apiErrors.badRequest("the namespace of the provided object does not match the namespace sent on the request");
    }
    obj.metadata!.namespace = namespace;
    const wantedRv = obj.metadata?.resourceVersion ?? "";
    return this.guaranteedUpdate(info, namespace, name, wantedRv, dryRun, (old) => {
      const next = info.codec.fromPartial(obj);
      prepareForUpdate(info, next, old);
      applyDefaults(info, next);
      const errors = validateObject(info, next, old);
      const finalizerErrors = this.finalizerRules(next, old);
      if (errors.length || finalizerErrors.length) throw apiErrors.invalid(subject(info, name), [...errors, ...finalizerErrors]);
      return next;
    });
  }

  /** A status write (the status subresource): spec and metadata stay as stored. */
  async updateStatus<T extends ApiObject>(info: KindInfo<T>, requestNamespace: string, obj: T, dryRun = false): Promise<T> {
    if (!info.hasStatus) throw apiErrors.methodNotSupported(subject(info, obj.metadata?.name ?? ""), "update status");
    const name = obj.metadata?.name ?? "";
    const namespace = info.namespaced ? obj.metadata?.namespace || requestNamespace : "";
    return this.guaranteedUpdate(info, namespace, name, obj.metadata?.resourceVersion ?? "", dryRun, (old) => {
      const next = prepareForStatusUpdate(info, obj, old) as T;
      const errors = validateStatusUpdate(info, next, old);
      if (errors.length) throw apiErrors.invalid(subject(info, name), errors);
      return next;
    });
  }

  /** A JSON merge patch of the object's Kubernetes JSON (or of its status). */
  async patch<T extends ApiObject>(
    info: KindInfo<T>,
    namespace: string,
    name: string,
    patch: unknown,
    opts: { status: boolean; dryRun: boolean },
  ): Promise<T> {
    if (patch === null || typeof patch !== "object" || Array.isArray(patch)) {
      throw apiErrors.badRequest("a merge patch must be a JSON object");
    }
    const patchRv = (patch as { metadata?: { resourceVersion?: unknown } }).metadata?.resourceVersion;
    for (let attempt = 0; ; attempt++) {
      const current = await this.get(info, namespace, name);
      const patched = mergePatch(encodeJson(info, current), patch);
      const { object, errors } = decodeJson(info, patched);
      if (!object) throw apiErrors.badRequest(`error decoding the patched ${info.kind}`, errors);
      // Without a resourceVersion in the patch, it applies to whatever is current (retry on a race).
      if (typeof patchRv !== "string") object.metadata!.resourceVersion = current.metadata!.resourceVersion;
      try {
        return opts.status ? await this.updateStatus(info, namespace, object, opts.dryRun) : await this.update(info, namespace, object, opts.dryRun);
      } catch (err) {
        if (typeof patchRv !== "string" && isApiError(err) && err.reason === "Conflict" && attempt < conflictRetries) continue;
        throw err;
      }
    }
  }

  /**
   * Read-modify-write with compare-and-swap. `mutate` gets the stored object and returns the next
   * one (or throws an ApiError); it may be called more than once. Each call gets its own decoded
   * copy, so it may change it in place and return it (binding does); where old and next are compared
   * afterwards (Service addresses, deletion), return a copy. With `wantedRv` set, a stored
   * object at another revision is a Conflict; without, a lost race retries on the current value.
   *
   * The first attempt starts from the value this replica last saw for the key, if any (no etcd
   * read): the txn's mod_revision compare rejects it if it is stale, and the failed txn returns the
   * current value to go on with. Outcomes the compare cannot vouch for (mutate throwing, a no-op
   * write, a wantedRv mismatch) are decided only on a value just read from etcd.
   */
  async guaranteedUpdate<T extends ApiObject>(
    info: KindInfo<T>,
    namespace: string,
    name: string,
    wantedRv: string,
    dryRun: boolean,
    mutate: (old: T) => T,
  ): Promise<T> {
    const key = registryKey(info, namespace, name);
    const exclude = new Set<string>();
    // The state to start from; `fresh` when read from etcd (or returned by a failed txn) for this call.
    let current: { found: StoredValue | undefined; fresh: boolean } | undefined = dryRun ? undefined : this.cachedState(key, wantedRv);
    for (let attempt = 0; ; ) {
      current ??= { found: await this.readStored(key), fresh: true };
      const { found, fresh } = current;
      if (!found) throw apiErrors.notFound(subject(info, name));
      if (wantedRv && wantedRv !== String(found.modRevision)) {
        if (!fresh) {
          current = undefined;
          continue;
        }
        throw apiErrors.staleConflict(subject(info, name));
      }
      const old = this.read(info, found);
      let next: T;
      let plan: AddressPlan | undefined;
      let deleting: boolean;
      let plain: Uint8Array | undefined;
      try {
        next = mutate(old);
        next.metadata!.resourceVersion = "";
        if (info.resource === "services") plan = this.planAddresses(next as unknown as Service, old as unknown as Service, exclude);
        deleting = !!old.metadata?.deletionTimestamp && !hasFinalizers(info, next) && !this.gracefulPending(info, next);
        if (!deleting) plain = this.encode(info, next);
      } catch (err) {
        // An error computed from a remembered value may not hold for the current one.
        if (!fresh) {
          current = undefined;
          continue;
        }
        throw err;
      }
      // A lost race: go on from the value the failed txn read (a retry, or, from a stale guess, the first real attempt).
      const lostRace = (err: RevisionMismatchError): boolean => {
        if (fresh && (wantedRv || attempt++ >= conflictRetries)) return false;
        current = { found: err.current, fresh: true };
        if (err.current) this.recent.remember(err.current);
        else this.recent.forget(key);
        return true;
      };
      // The last finalizer removed from an object being deleted: the object goes.
      if (deleting) {
        if (dryRun) return next;
        try {
          await this.store.delete(key, found.modRevision, { alsoDelete: this.releasedOnDelete(info, old) });
          this.recent.forget(key);
          return next;
        } catch (err) {
          if (err instanceof RevisionMismatchError && lostRace(err)) continue;
          if (err instanceof RevisionMismatchError) throw apiErrors.staleConflict(subject(info, name));
          throw err;
        }
      }
      if (this.unchanged(info, plain!, found)) {
        if (!fresh) {
          current = undefined;
          continue;
        }
        // Nothing changed: no write, the resourceVersion stays (as Kubernetes does).
        next.metadata!.resourceVersion = String(found.modRevision);
        return next;
      }
      const bytes = this.transformer.toStorage(info, plain!);
      if (dryRun) return next;
      try {
        const revision = await this.store.update(key, bytes, found.modRevision, { alsoCreate: plan?.create ?? [], alsoDelete: plan?.release ?? [], lease: await this.leaseFor(info) });
        this.recent.remember({ key, value: bytes, modRevision: revision, createRevision: found.createRevision });
        next.metadata!.resourceVersion = String(revision);
        return next;
      } catch (err) {
        if (err instanceof RevisionMismatchError) {
          if (lostRace(err)) continue;
          throw apiErrors.staleConflict(subject(info, name));
        }
        if (err instanceof KeyExistsError && plan) {
          this.reservationTaken(info, next, plan, err.key, exclude, attempt++);
          current = undefined;
          continue;
        }
        throw err;
      }
    }
  }

  /** The remembered state of `key` to start a read-modify-write from, unless it cannot satisfy `wantedRv`. */
  private cachedState(key: string, wantedRv: string): { found: StoredValue; fresh: false } | undefined {
    const found = this.recent.get(key);
    if (!found || (wantedRv && wantedRv !== String(found.modRevision))) return undefined;
    return { found, fresh: false };
  }

  /** The lease an object of this kind is written with (its TTL renewed by every write), if it expires. */
  private async leaseFor(info: KindInfo): Promise<string | undefined> {
    const ttl = objectTtlSeconds(info, { eventSeconds: this.options.eventTtlSeconds ?? 0 });
    return ttl === undefined ? undefined : this.leases.leaseFor(ttl);
  }

  /** A pod whose graceful deletion is still under way keeps existing after its finalizers are gone. */
  private gracefulPending(info: KindInfo, obj: ApiObject): boolean {
    return info.resource === "pods" && (obj.metadata?.deletionGracePeriodSeconds ?? 0) > 0;
  }

  private finalizerRules(next: ApiObject, old: ApiObject): FieldError[] {
    if (!old.metadata?.deletionTimestamp) return [];
    const had = new Set(old.metadata.finalizers);
    const added = (next.metadata?.finalizers ?? []).filter((f) => !had.has(f));
    return added.length
      ? [{ type: "FieldValueForbidden", field: "metadata.finalizers", detail: `no new finalizers can be added if the object is being deleted, found new finalizers ${JSON.stringify(added)}` }]
      : [];
  }

  private releasedOnDelete(info: KindInfo, obj: ApiObject): string[] {
    return info.resource === "services" ? this.options.addresses.heldKeys(obj as unknown as Service) : [];
  }

  /**
   * Deletes, or only marks: an object with finalizers (or a propagation policy that adds one) gets
   * deletionTimestamp and stays until the last finalizer is removed; a running pod gets its grace
   * period and is deleted by its kubelet (a delete with grace 0 then removes it).
   */
  async delete<T extends ApiObject>(info: KindInfo<T>, namespace: string, name: string, params: DeleteParams): Promise<{ object: T; deleted: boolean }> {
    const key = registryKey(info, namespace, name);
    if (info.resource === "namespaces" && (systemNamespaces as readonly string[]).includes(name)) {
      throw apiErrors.forbidden(subject(info, name), "this namespace may not be deleted");
    }
    if (info.resource === "namespaces") this.namespaces.forget(name);
    for (let attempt = 0; ; attempt++) {
      const found = await this.readStored(key);
      if (!found) throw apiErrors.notFound(subject(info, name));
      const old = this.read(info, found);
      const pre = params.preconditions;
      if (pre?.uid && pre.uid !== old.metadata!.uid) {
        throw apiErrors.conflict(subject(info, name), `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${old.metadata!.uid}`);
      }
      if (pre?.resourceVersion && pre.resourceVersion !== old.metadata!.resourceVersion) {
        throw apiErrors.conflict(subject(info, name), `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in meta: ${old.metadata!.resourceVersion}`);
      }
      const next = info.codec.fromPartial(old);
      const meta = next.metadata!;
      const finalizers = new Set(meta.finalizers);
      if (params.propagationPolicy === "Orphan") finalizers.add("orphan");
      if (params.propagationPolicy === "Foreground") finalizers.add("foregroundDeletion");
      if (params.propagationPolicy && !["Orphan", "Foreground", "Background"].includes(params.propagationPolicy)) {
        throw apiErrors.badRequest(`propagationPolicy: Unsupported value: "${params.propagationPolicy}": supported values: "Background", "Foreground", "Orphan"`);
      }
      const grace = deleteGracePeriod(info, old, params.gracePeriodSeconds);
      const namespaceTerminating = info.resource === "namespaces" && ((next as unknown as { spec?: { finalizers?: string[] } }).spec?.finalizers?.length ?? 0) > 0;
      const markOnly = finalizers.size > 0 || grace > 0 || namespaceTerminating;
      if (!markOnly) {
        if (params.dryRun) return { object: old, deleted: true };
        try {
          const revision = await this.store.delete(key, found.modRevision, { alsoDelete: this.releasedOnDelete(info, old) });
          this.recent.forget(key);
          old.metadata!.resourceVersion = String(revision);
          return { object: old, deleted: true };
        } catch (err) {
          if (err instanceof RevisionMismatchError && attempt < conflictRetries) continue;
          throw err;
        }
      }
      meta.finalizers = [...finalizers];
      const now = this.now();
      if (!meta.deletionTimestamp) {
        meta.deletionTimestamp = timestamp(new Date(now.getTime() + grace * 1000));
        meta.deletionGracePeriodSeconds = grace;
      } else if (grace < (meta.deletionGracePeriodSeconds ?? 0)) {
        // A shorter grace period moves the deadline closer, never further.
        meta.deletionTimestamp = timestamp(new Date(now.getTime() + grace * 1000));
        meta.deletionGracePeriodSeconds = grace;
      }
      if (info.resource === "namespaces") (next as unknown as { status: { phase: string } }).status.phase = "Terminating";
      if (meta.finalizers.length === 0 && grace === 0 && !namespaceTerminating) {
        // A pod deleted again with grace 0 after its graceful period began: it goes now.
        try {
          if (params.dryRun) return { object: old, deleted: true };
          const revision = await this.store.delete(key, found.modRevision, { alsoDelete: this.releasedOnDelete(info, old) });
          this.recent.forget(key);
          old.metadata!.resourceVersion = String(revision);
          return { object: old, deleted: true };
        } catch (err) {
          if (err instanceof RevisionMismatchError && attempt < conflictRetries) continue;
          throw err;
        }
      }
      if (params.dryRun) return { object: next, deleted: false };
      const plain = this.encode(info, next);
      if (this.unchanged(info, plain, found)) return { object: old, deleted: false };
      const bytes = this.transformer.toStorage(info, plain);
      try {
        const revision = await this.store.update(key, bytes, found.modRevision, { lease: await this.leaseFor(info) });
        this.recent.remember({ key, value: bytes, modRevision: revision, createRevision: found.createRevision });
        meta.resourceVersion = String(revision);
        return { object: next, deleted: false };
      } catch (err) {
        if (err instanceof RevisionMismatchError && attempt < conflictRetries) continue;
        throw err;
      }
    }
  }

  /** Creates the system namespaces that do not exist yet. */
  async ensureSystemNamespaces(): Promise<void> {
    const info = kindForResource("", "namespaces")!;
    for (const name of systemNamespaces) {
      try {
        await this.create(info, "", info.codec.fromPartial({ apiVersion: "v1", kind: "Namespace", metadata: { name } }));
      } catch (err) {
        if (!(isApiError(err) && err.reason === "AlreadyExists")) throw err;
      }
    }
  }
}
