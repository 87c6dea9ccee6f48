// The Namespace strategy: a new namespace is Active with the namespace controller's finalizer; a delete makes it Terminating.
import type { ApiObject } from "@kubeplane/api";
import { defaultStrategy, emptyStatus, type Strategy } from "./strategy.js";

type NamespaceLike = ApiObject & { spec?: { finalizers: string[] }; status?: { phase?: string } };

/** The namespace controller's finalizer: it empties a deleted namespace, then removes it. */
export const NAMESPACE_FINALIZER = "kubernetes";

export const namespaceStrategy: Strategy = {
  ...defaultStrategy,
  prepareForCreate(info, obj) {
    const ns = obj as NamespaceLike;
    ns.status = { ...emptyStatus(info), phase: "Active" };
    ns.spec ??= { finalizers: [] };
    if (!ns.spec.finalizers.includes(NAMESPACE_FINALIZER)) ns.spec.finalizers.push(NAMESPACE_FINALIZER);
  },
  /** Metadata finalizers, and spec.finalizers (the namespace controller's). */
  hasFinalizers: (obj) => defaultStrategy.hasFinalizers(obj) || ((obj as NamespaceLike).spec?.finalizers.length ?? 0) > 0,
  prepareForDelete(obj) {
    const ns = obj as NamespaceLike;
    (ns.status ??= {}).phase = "Terminating";
  },
};
