// Recognises the apiserver's refusal to create in a namespace that is being deleted.
import { isApiError, isForbidden } from "@kubeplane/api";

/** A create refused because the namespace is being deleted: nothing to retry, the objects would go anyway. */
export function isNamespaceTerminating(err: unknown): boolean {
  return isApiError(err) && isForbidden(err) && err.message.includes("being terminated");
}
