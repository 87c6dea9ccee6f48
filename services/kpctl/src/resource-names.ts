// How kpctl names kinds and objects in its output, as kubectl does: `deployment.apps/nginx`, `service/web`.
import type { KindInfo } from "@kubeplane/api";

/** `deployment.apps`, or `service` for the core group. */
export function qualifiedKind(info: Pick<KindInfo, "singular" | "group">): string {
  return info.group ? `${info.singular}.${info.group}` : info.singular;
}

/** `deployment.apps/nginx`: what apply, create and `-o name` print. */
export function objectRef(info: Pick<KindInfo, "singular" | "group">, name: string): string {
  return `${qualifiedKind(info)}/${name}`;
}

/** `deployment.apps "nginx"`: what delete prints. */
export function quotedRef(info: Pick<KindInfo, "singular" | "group">, name: string): string {
  return `${qualifiedKind(info)} "${name}"`;
}

/** `deployments.apps`, or `pods`: how Kubernetes names a resource in NotFound messages. */
export function qualifiedResource(info: Pick<KindInfo, "resource" | "group">): string {
  return info.group ? `${info.resource}.${info.group}` : info.resource;
}
