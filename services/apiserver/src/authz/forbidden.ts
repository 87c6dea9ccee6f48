// The refusal of an unauthorized request, worded as kube-apiserver's Forbidden Status.
import { apiErrors, type ApiError } from "@kubeplane/api";
import { resourceWithSubresource, type RequestAttributes } from "./attributes.js";

/** `User "alice" cannot list resource "pods" in API group "" in the namespace "team"`. */
export function forbiddenMessage(a: RequestAttributes): string {
  const user = `User ${JSON.stringify(a.user.username)}`;
  if (!a.resourceRequest) return `${user} cannot ${a.verb} path ${JSON.stringify(a.path)}`;
  const what = `${user} cannot ${a.verb} resource ${JSON.stringify(resourceWithSubresource(a))} in API group ${JSON.stringify(a.apiGroup)}`;
  return a.namespace ? `${what} in the namespace ${JSON.stringify(a.namespace)}` : `${what} at the cluster scope`;
}

/**
 * The Forbidden ApiError for a refused request: `pods "web" is forbidden: User … cannot …`, with
 * the authorizer's reason appended when it gave one. Mapped to gRPC PERMISSION_DENIED at the edge.
 */
export function forbiddenError(a: RequestAttributes, reason: string): ApiError {
  const why = reason ? `${forbiddenMessage(a)}: ${reason}` : forbiddenMessage(a);
  if (!a.resourceRequest) return apiErrors.apiError("Forbidden", `forbidden: ${why}`);
  const qualified = a.apiGroup ? `${a.resource}.${a.apiGroup}` : a.resource;
  const subject = a.name ? `${qualified} ${JSON.stringify(a.name)}` : qualified;
  return apiErrors.apiError("Forbidden", `${subject} is forbidden: ${why}`, { group: a.apiGroup, resource: a.resource, name: a.name });
}
