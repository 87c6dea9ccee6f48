// The RBAC authorizer's view of Roles, ClusterRoles and their bindings, kept from store watches and indexed by subject.
import { kindForResource, type ApiObject, type KindInfo, type rbacV1 } from "@kubeplane/api";
import type { Logger } from "@kubeplane/service-kit";
import type { UserInfo } from "../authn/index.js";
import type { Registry } from "../registry.js";
import { subjectKey, userKeys } from "./rbac-rules.js";
import { watchStore, type StoreWatchHandlers } from "./store-watch.js";

/** One RoleBinding or ClusterRoleBinding as the authorizer needs it. */
export interface CachedBinding {
  kind: "RoleBinding" | "ClusterRoleBinding";
  /** "" for a ClusterRoleBinding. */
  namespace: string;
  name: string;
  roleRef: rbacV1.RoleRef;
  subjects: rbacV1.Subject[];
}

const rbac = (resource: string): KindInfo => kindForResource("rbac.authorization.k8s.io", resource)!;

/** A map of objects by etcd key, with the handlers a store watch feeds. */
class KeyedView<T extends ApiObject, V> implements StoreWatchHandlers<T> {
  readonly byKey = new Map<string, V>();

  constructor(
    private readonly convert: (obj: T) => V,
    private readonly changed: (key: string, before: V | undefined, after: V | undefined) => void = () => {},
  ) {}

  replace(items: T[]): void {
    for (const [key, before] of this.byKey) this.changed(key, before, undefined);
    this.byKey.clear();
    for (const item of items) {
      const m = item.metadata;
      this.upsert(m?.namespace ? `${m.namespace}/${m.name}` : (m?.name ?? ""), item);
    }
  }

  upsert(key: string, obj: T): void {
    const id = viewKey(key);
    const value = this.convert(obj);
    this.changed(id, this.byKey.get(id), value);
    this.byKey.set(id, value);
  }

  delete(key: string): void {
    const id = viewKey(key);
    this.changed(id, this.byKey.get(id), undefined);
    this.byKey.delete(id);
  }
}

/** "ns/name" or "name" from an etcd key or a view key (etcd keys end in [namespace/]name). */
function viewKey(key: string): string {
  if (!key.startsWith("/registry/")) return key;
  const parts = key.split("/"); // ["", "registry", group, resource, ns?, name]
  return parts.slice(4).join("/");
}

/**
 * Roles and ClusterRoles by name, bindings by subject ("User:alice", "Group:system:nodes",
 * "ServiceAccount:ns:name"), so an authorization reads only the bindings that can apply. Updated
 * by store watches; reads are synchronous and see a possibly slightly stale, consistent-per-object
 * view (an RBAC change takes effect within the watch latency, as in Kubernetes).
 */
export class RbacCache {
  private readonly roles = new KeyedView<rbacV1.Role, rbacV1.PolicyRule[]>((r) => r.rules);
  private readonly clusterRoles = new KeyedView<rbacV1.ClusterRole, rbacV1.PolicyRule[]>((r) => r.rules);
  private readonly bySubject = new Map<string, Set<CachedBinding>>();
  private readonly roleBindings = new KeyedView<rbacV1.RoleBinding, CachedBinding>(
    (b) => binding("RoleBinding", b),
    (_key, before, after) => this.reindex(before, after),
  );
  private readonly clusterRoleBindings = new KeyedView<rbacV1.ClusterRoleBinding, CachedBinding>(
    (b) => binding("ClusterRoleBinding", b),
    (_key, before, after) => this.reindex(before, after),
  );

  /** The rules of the role a binding refers to; empty when it does not exist (yet). */
  rulesOf(b: CachedBinding): readonly rbacV1.PolicyRule[] {
    if (b.roleRef.kind === "ClusterRole") return this.clusterRoles.byKey.get(b.roleRef.name) ?? [];
    return this.roles.byKey.get(`${b.namespace}/${b.roleRef.name}`) ?? [];
  }

  /** Every binding with a subject that may be `user` (the caller still checks the subject's namespace for ServiceAccounts). */
  bindingsFor(user: UserInfo): CachedBinding[] {
    const found = new Set<CachedBinding>();
    for (const key of userKeys(user)) for (const b of this.bySubject.get(key) ?? []) found.add(b);
    return [...found];
  }

  /** Starts the four watches; `synced` resolves once each has listed. */
  run(registry: Registry, signal: AbortSignal, logger: Logger): { synced: Promise<void>; done: Promise<void> } {
    const runs = [
      watchStore(registry, rbac("roles") as KindInfo<rbacV1.Role>, this.roles, signal, logger),
      watchStore(registry, rbac("clusterroles") as KindInfo<rbacV1.ClusterRole>, this.clusterRoles, signal, logger),
      watchStore(registry, rbac("rolebindings") as KindInfo<rbacV1.RoleBinding>, this.roleBindings, signal, logger),
      watchStore(registry, rbac("clusterrolebindings") as KindInfo<rbacV1.ClusterRoleBinding>, this.clusterRoleBindings, signal, logger),
    ];
    return { synced: Promise.all(runs.map((r) => r.synced)).then(() => undefined), done: Promise.all(runs.map((r) => r.done)).then(() => undefined) };
  }

  private reindex(before: CachedBinding | undefined, after: CachedBinding | undefined): void {
    if (before) {
      for (const s of before.subjects) {
        const key = subjectKey(s, before.namespace);
        const set = this.bySubject.get(key);
        set?.delete(before);
        if (set?.size === 0) this.bySubject.delete(key);
      }
    }
    if (after) {
      for (const s of after.subjects) {
        const key = subjectKey(s, after.namespace);
        let set = this.bySubject.get(key);
        if (!set) this.bySubject.set(key, (set = new Set()));
        set.add(after);
      }
    }
  }
}

function binding(kind: CachedBinding["kind"], b: rbacV1.RoleBinding | rbacV1.ClusterRoleBinding): CachedBinding {
  return {
    kind,
    namespace: kind === "RoleBinding" ? (b.metadata?.namespace ?? "") : "",
    name: b.metadata?.name ?? "",
    roleRef: b.roleRef ?? { apiGroup: "", kind: "", name: "" },
    subjects: b.subjects,
  };
}
