// The client's request options and results, shared by the typed and the JSON API.
import type { ApiObject } from "@kubeplane/api";

export interface ListOptions {
  /** Empty or undefined: every namespace (required for cluster-scoped kinds). */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Page size; 0 or undefined: everything in one reply. */
  limit?: number;
  continueToken?: string;
  signal?: AbortSignal;
}

export interface ListResult<T> {
  items: T[];
  /** The revision the list was read at; watch from it to miss nothing. */
  resourceVersion: string;
  /** Set when there are more items: pass as continueToken. */
  continueToken?: string;
  remainingItemCount?: number;
}

export interface WriteOptions {
  dryRun?: boolean;
  signal?: AbortSignal;
}

export interface DeleteOptions extends WriteOptions {
  gracePeriodSeconds?: number;
  /** Background (default), Foreground, Orphan. */
  propagationPolicy?: "Background" | "Foreground" | "Orphan";
  preconditions?: { uid?: string; resourceVersion?: string };
}

export interface DeleteResult<T> {
  /** The object as deleted, or as it stands when only marked (finalizers or graceful deletion pending). */
  object: T;
  /** True when it is gone from the store. */
  deleted: boolean;
}

export interface WatchOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Events after this revision; undefined: every matching object as ADDED first, then changes. */
  resourceVersion?: string;
  allowBookmarks?: boolean;
  signal?: AbortSignal;
}

export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK";

export interface WatchEvent<T> {
  type: WatchEventType;
  object: T;
  /** The etcd revision of the change. */
  revision: number;
}

/** An object as Kubernetes JSON (what kpctl reads from manifests and prints). */
export type JsonObject = Record<string, unknown> & Partial<Pick<ApiObject, "apiVersion" | "kind">>;
