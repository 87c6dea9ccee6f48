// What the authorize step decides on: Kubernetes' authorizer.Attributes (user, verb, resource, namespace, name).
import type { UserInfo } from "../authn/index.js";

/**
 * One request as the authorizers see it. A resource request names an API group, a resource (plural,
 * lower case), optionally a subresource, a namespace ("" for cluster-scoped or all namespaces) and
 * a name ("" for list, watch and create). A non-resource request names only a path ("/version").
 */
export interface RequestAttributes {
  user: UserInfo;
  /** Kubernetes' verbs: get, list, watch, create, update, patch, delete, deletecollection, impersonate, … */
  verb: string;
  resourceRequest: boolean;
  apiGroup: string;
  resource: string;
  subresource: string;
  namespace: string;
  name: string;
  /** The path of a non-resource request. */
  path: string;
  /** The field selector of a list or watch (the Node authorizer lets a kubelet list only its own pods). */
  fieldSelector?: string;
}

/** Attributes of a resource request, with the unset parts empty. */
export function resourceAttributes(user: UserInfo, a: Partial<Omit<RequestAttributes, "user" | "resourceRequest">> & { verb: string; resource: string }): RequestAttributes {
  return { apiGroup: "", subresource: "", namespace: "", name: "", path: "", ...a, user, resourceRequest: true };
}

/** Attributes of a non-resource request (a path such as "/version"). */
export function nonResourceAttributes(user: UserInfo, verb: string, path: string): RequestAttributes {
  return { user, verb, path, resourceRequest: false, apiGroup: "", resource: "", subresource: "", namespace: "", name: "" };
}

/** "pods" or "pods/status", as RBAC rules and messages name it. */
export function resourceWithSubresource(a: Pick<RequestAttributes, "resource" | "subresource">): string {
  return a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
}
