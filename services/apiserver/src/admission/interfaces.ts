// The admission contract (Kubernetes' admission.Interface): what a plugin sees of a write, and what it may do.
// The chain runs mutating plugins in order, then validating ones, after decode and defaulting and before the
// kind's strategy validates and the store writes (ARCHITECTURE §2). One module a plugin, in ./plugins/.
import type { ApiObject, KindInfo } from "@kubeplane/api";
import type { UserInfo } from "../authn/index.js";

/** Kubernetes' admission operations. */
export type AdmissionOperation = "CREATE" | "UPDATE" | "DELETE" | "CONNECT";

/** One write as admission sees it (Kubernetes' admission.Attributes). */
export interface AdmissionAttributes {
  readonly operation: AdmissionOperation;
  readonly info: KindInfo;
  /** "" for the object itself; "status", "binding", "eviction", "scale", "token", "approval", … */
  readonly subresource: string;
  readonly namespace: string;
  /** The object's name ("" for a create with generateName, until the store names it). */
  readonly name: string;
  /** The incoming object, defaulted; mutating plugins change it in place. Absent for DELETE and CONNECT. */
  readonly object: ApiObject | undefined;
  /** The stored object for UPDATE and DELETE (read-only: never change it). */
  readonly oldObject: ApiObject | undefined;
  readonly user: UserInfo;
  readonly dryRun: boolean;
  /** Warnings for the client (Kubernetes' `Warning:` headers; kpctl prints them), e.g. PodSecurity's warn mode. */
  readonly warnings: string[];
  /** Annotations for this request's audit event, `<plugin>/<key>` → value (PodSecurity's audit mode). */
  readonly auditAnnotations: Record<string, string>;
}

/**
 * What plugins may read and write besides the request's object. Reads are linearizable unless a
 * plugin caches; a plugin that caches says how stale it may be.
 */
export interface AdmissionStore {
  get<T extends ApiObject>(info: KindInfo<T>, namespace: string, name: string): Promise<T | undefined>;
  /** Every object of a kind in a namespace ("" = all namespaces, or cluster-scoped). */
  list<T extends ApiObject>(info: KindInfo<T>, namespace: string): Promise<T[]>;
  /**
   * Compare-and-swap of an object's status (ResourceQuota's `status.used` is charged this way before the
   * admitted object is stored): `mutate` gets the stored object and returns the next one, or throws an ApiError;
   * it may run more than once on a lost race. Returns the stored result.
   */
  updateStatus<T extends ApiObject>(info: KindInfo<T>, namespace: string, name: string, mutate: (current: T) => T): Promise<T>;
}

interface Plugin {
  /** Kubernetes' plugin name ("PodSecurity", "ResourceQuota", …): refusals and metrics name it. */
  readonly name: string;
  /** Whether the plugin wants this request at all (cheap; called for every write). */
  handles(attrs: AdmissionAttributes): boolean;
}

/** A mutating plugin: may change `attrs.object`; throws an ApiError (Forbidden, Invalid, …) to refuse. */
export interface MutatingAdmissionPlugin extends Plugin {
  admit(attrs: AdmissionAttributes, store: AdmissionStore): Promise<void>;
}

/** A validating plugin: may not change the object; throws an ApiError to refuse. */
export interface ValidatingAdmissionPlugin extends Plugin {
  validate(attrs: AdmissionAttributes, store: AdmissionStore): Promise<void>;
}
