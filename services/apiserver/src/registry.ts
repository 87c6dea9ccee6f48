// The object registry: every verb of the generic API over etcd — decode is done, here we default,
// validate, allocate and store with optimistic concurrency (ARCHITECTURE §2, §3).
import { randomUUID, randomInt } from "node:crypto";
import {
  apiErrors,
  applyDefaults,
  isApiError,
  kindForResource,
  mergePatch,
  decodeJson,
  encodeJson,
  registryKey,
  validateObject,
  validateStatusUpdate,
  type ApiObject,
  type KindInfo,
} from "@kubeplane/api";
import { KeyExistsError, type EtcdStore } from "@kubeplane/storage";
import type { ServiceAddresses } from "./service-addresses.js";
import type { ValueTransformer } from "./encryption.js";
import { noAdmission, type Admission, type AdmissionRequest } from "./admission/chain.js";
import { toRequestContext, withDryRun, type ContextArg, type RequestContext } from "./request-context.js";
import { systemNamespaces } from "./system-namespaces.js";
import { createStrategies, type StrategyLookup } from "./strategies/index.js";
import { StoredObjects, conflictRetries, subject, timestamp } from "./store/stored-objects.js";
import { listObjects, type ListPage, type ListParams } from "./store/list.js";
import { guaranteedUpdate, type Mutate } from "./store/guaranteed-update.js";
import { deleteObject, type DeleteParams } from "./store/delete.js";
import { manageUpdate } from "./fieldmanager/index.js";

export { timestamp } from "./store/stored-objects.js";
export { systemNamespaces } from "./system-namespaces.js";
export type { ListPage, ListParams } from "./store/list.js";
export type { DeleteParams } from "./store/delete.js";

export interface RegistryOptions {
  maxObjectBytes: number;
  /** Encryption at rest (Secrets); default none. */
  transformer?: ValueTransformer;
  addresses: ServiceAddresses;
  now?: () => Date;
  /** Events expire this long after their last write (lease-attached); 0 or absent: never. */
  eventTtlSeconds?: number;
  /** The admission chain every write runs (admission/chain.ts); absent: none (the bare store). */
  admission?: Admission | undefined;
}

const generateNameChars = "bcdfghjklmnpqrstvwxz2456789";

/** The manager of writes that name none (the apiserver's own: system namespaces, bootstrap policy). */
const DEFAULT_FIELD_MANAGER = "kube-apiserver";

/**
 * The verbs on stored objects: the generic store (Kubernetes' genericregistry.Store). It knows no
 * kind: per-kind rules come from the kind's strategy (`strategies/`). Methods are safe to call
 * concurrently: every write is a compare-and-swap on the object's mod_revision, so a lost race is a
 * Conflict or a retry, never a lost update. Errors are ApiErrors.
 */
export class Registry {
  private readonly now: () => Date;
  private readonly objects: StoredObjects;
  private readonly strategyFor: StrategyLookup;
  private readonly admission: Admission;

  constructor(
    readonly store: EtcdStore,
    options: RegistryOptions,
  ) {
    this.now = options.now ?? (() => new Date());
    this.objects = new StoredObjects(store, options.maxObjectBytes, options.transformer);
    this.strategyFor = createStrategies({ addresses: options.addresses, eventTtlSeconds: options.eventTtlSeconds ?? 0 });
    this.admission = options.admission ?? noAdmission;
  }

  async get<T extends ApiObject>(info: KindInfo<T>, namespace: string, name: string): Promise<T> {
    const found = await this.objects.readStored(registryKey(info, namespace, name));
    if (!found) throw apiErrors.notFound(subject(info, name));
    return this.objects.read(info, found);
  }

  async tryGet<T extends ApiObject>(info: KindInfo<T>, namespace: string, name: string): Promise<{ obj: T; revision: number } | undefined> {
    const found = await this.objects.readStored(registryKey(info, namespace, name));
    return found ? { obj: this.objects.read(info, found), revision: found.resourceVersion } : undefined;
  }

  list<T extends ApiObject>(info: KindInfo<T>, params: ListParams): Promise<ListPage<T>> {
    return listObjects(this.objects, info, params);
  }

  /**
   * Runs admission for a write the Registry does not make itself (subresources whose object is not
   * the stored kind: binding, eviction, token; or scale). The verbs below admit their own writes.
   */
  admit(request: AdmissionRequest, ctx: ContextArg): Promise<void> {
    return this.admission.admit(request, toRequestContext(ctx));
  }

  /**
   * Creates `obj`: system metadata, the strategy's prepareForCreate, defaults, admission (CREATE),
   * validation, reservations, one etcd create. `ctx` carries the user and dryRun (a boolean: dryRun as the apiserver itself).
   */
  async create<T extends ApiObject>(info: KindInfo<T>, requestNamespace: string, obj: T, context: ContextArg = false): Promise<T> {
    const ctx = toRequestContext(context);
    const strategy = this.strategyFor(info);
    const meta = (obj.metadata ??= info.codec.fromPartial({ metadata: {} }).metadata)!;
    if (info.namespaced) {
      if (meta.namespace && requestNamespace && meta.namespace !== requestNamespace) {
        throw apiErrors.badRequest("the namespace of the provided object does not match the namespace sent on the request");
      }
      meta.namespace ||= requestNamespace || "default";
    }
    if (!meta.name && meta.generateName) {
      meta.name = meta.generateName + Array.from({ length: 5 }, () => generateNameChars[randomInt(generateNameChars.length)]).join("");
    }
    meta.uid = randomUUID();
    meta.creationTimestamp = timestamp(this.now());
    meta.generation = 1;
    meta.resourceVersion = "";
    meta.deletionTimestamp = "";
    meta.deletionGracePeriodSeconds = undefined;
    strategy.prepareForCreate(info, obj, ctx);
    applyDefaults(info, obj);
    await this.admission.admit({ operation: "CREATE", info, namespace: meta.namespace, name: meta.name, object: obj }, ctx);
    const errors = [...validateObject(info, obj), ...strategy.validate(info, obj, undefined)];
    if (errors.length) throw apiErrors.invalid(subject(info, meta.name), errors);
    ctx.warnings.push(...strategy.warnings(obj, undefined));
    this.recordWrite(info, undefined, obj, ctx, "");

    const key = registryKey(info, meta.namespace, meta.name);
    const exclude = new Set<string>();
    const reservations = strategy.reservations;
    for (let attempt = 0; ; attempt++) {
      const plan = reservations?.plan(obj, undefined, exclude);
      const bytes = this.objects.toStorage(info, key, this.objects.encode(info, obj));
      if (ctx.dryRun) return obj;
      try {
        const rv = await this.store.create(key, bytes, { alsoCreate: plan?.create ?? [], lease: await this.objects.leaseFor(strategy) });
        this.objects.wrote(key, bytes, rv);
        meta.resourceVersion = String(rv);
        return obj;
      } catch (err) {
        if (!(err instanceof KeyExistsError)) throw err;
        if (err.key === key) {
          // etcd3 retries a call whose reply was lost; if that create landed, the stored bytes are ours (the uid is new).
          const landed = await this.store.get(key);
          if (landed && Buffer.from(landed.value).equals(Buffer.from(bytes))) {
            meta.resourceVersion = String(landed.resourceVersion);
            return obj;
          }
          throw apiErrors.alreadyExists(subject(info, meta.name));
        }
        if (!plan || !reservations) throw err;
        reservations.taken(info, obj, plan, err.key, exclude, attempt);
      }
    }
  }

  /** A spec (whole-object) update; `resourceVersion` empty means unconditional (retried on races). Admission sees the stored object as oldObject. */
  async update<T extends ApiObject>(info: KindInfo<T>, requestNamespace: string, obj: T, context: ContextArg = false): Promise<T> {
    const ctx = toRequestContext(context);
    const name = obj.metadata?.name ?? "";
    const namespace = info.namespaced ? obj.metadata?.namespace || requestNamespace : "";
    if (!name) throw apiErrors.badRequest("metadata.name is required for an update");
    if (info.namespaced && requestNamespace && obj.metadata?.namespace && obj.metadata.namespace !== requestNamespace) {
      throw apiErrors.badRequest("the namespace of the provided object does not match the namespace sent on the request");
    }
    obj.metadata!.namespace = namespace;
    const strategy = this.strategyFor(info);
    return this.guaranteedUpdate(info, namespace, name, obj.metadata?.resourceVersion ?? "", ctx.dryRun, async (old) => {
      const next = info.codec.fromPartial(obj);
      strategy.prepareForUpdate(info, next, old);
      applyDefaults(info, next);
      await this.admission.admit({ operation: "UPDATE", info, namespace, name, object: next, oldObject: old }, ctx);
      const errors = [...validateObject(info, next, old), ...strategy.validate(info, next, old)];
      if (errors.length) throw apiErrors.invalid(subject(info, name), errors);
      ctx.warnings.push(...strategy.warnings(next, old));
      this.recordWrite(info, old, next, ctx, "");
      return next;
    });
  }

  /** A status write (the status subresource): spec and metadata stay as stored. */
  async updateStatus<T extends ApiObject>(info: KindInfo<T>, requestNamespace: string, obj: T, context: ContextArg = false): Promise<T> {
    const ctx = toRequestContext(context);
    if (!info.hasStatus) throw apiErrors.methodNotSupported(subject(info, obj.metadata?.name ?? ""), "update status");
    const name = obj.metadata?.name ?? "";
    const namespace = info.namespaced ? obj.metadata?.namespace || requestNamespace : "";
    const strategy = this.strategyFor(info);
    return this.guaranteedUpdate(info, namespace, name, obj.metadata?.resourceVersion ?? "", ctx.dryRun, async (old) => {
      const next = strategy.prepareForStatusUpdate(info, obj, old) as T;
      await this.admission.admit({ operation: "UPDATE", info, subresource: "status", namespace, name, object: next, oldObject: old }, ctx);
      const errors = validateStatusUpdate(info, next, old);
      if (errors.length) throw apiErrors.invalid(subject(info, name), errors);
      this.recordWrite(info, old, next, ctx, "status");
      return next;
    });
  }

  /** A JSON merge patch of the object's Kubernetes JSON (or of its status): an update (UPDATE admission) of the patched object. */
  async patch<T extends ApiObject>(
    info: KindInfo<T>,
    namespace: string,
    name: string,
    patch: unknown,
    opts: { status: boolean; dryRun: boolean },
    context?: RequestContext,
  ): Promise<T> {
    const ctx = withDryRun(toRequestContext(context), opts.dryRun);
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
        return opts.status ? await this.updateStatus(info, namespace, object, ctx) : await this.update(info, namespace, object, ctx);
      } catch (err) {
        if (typeof patchRv !== "string" && isApiError(err) && err.reason === "Conflict" && attempt < conflictRetries) continue;
        throw err;
      }
    }
  }

  /**
   * Sets `next`'s managedFields for a write by `ctx`'s field manager (fieldmanager/): what it added or
   * changed becomes its own. Called by every client write once the object is final (after admission
   * and validation); `subresource` names the subresource written through ("" for the object).
   */
  recordWrite(info: KindInfo, old: ApiObject | undefined, next: ApiObject, ctx: RequestContext, subresource: string): void {
    manageUpdate({
      typeName: info.typeName,
      apiVersion: info.apiVersion,
      old,
      next,
      writer: ctx.fieldManager ?? { manager: DEFAULT_FIELD_MANAGER, operation: "Update" },
      subresource,
      now: this.now(),
    });
  }

  /**
   * Read-modify-write with compare-and-swap (store/guaranteed-update.ts), for subresources and
   * internal writes. It admits nothing itself: a caller writing for a client runs `admit` in `mutate`.
   */
  guaranteedUpdate<T extends ApiObject>(info: KindInfo<T>, namespace: string, name: string, wantedRv: string, dryRun: boolean, mutate: Mutate<T>): Promise<T> {
    return guaranteedUpdate(this.objects, this.strategyFor(info), info, namespace, name, wantedRv, dryRun, mutate);
  }

  /** Deletes, or marks for deletion while finalizers or a grace period hold the object (store/delete.ts); DELETE admission sees the stored object. */
  async delete<T extends ApiObject>(info: KindInfo<T>, namespace: string, name: string, params: DeleteParams, context?: RequestContext): Promise<{ object: T; deleted: boolean }> {
    const ctx = withDryRun(toRequestContext(context), params.dryRun);
    const admit = (old: T): Promise<void> => this.admission.admit({ operation: "DELETE", info, namespace, name, oldObject: old }, ctx);
    return deleteObject(this.objects, this.strategyFor(info), info, namespace, name, { ...params, dryRun: ctx.dryRun }, this.now(), admit);
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
