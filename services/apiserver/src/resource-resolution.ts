// Which kind a request names: the resource of a gRPC request resolved against the kinds registry.
import { apiErrors, kindForResource, type apiserverV1, type KindInfo } from "@kubeplane/api";

/** Resolves the request's resource to a kind; an unknown one is NotFound, as Kubernetes answers. */
export function resolveResource(resource: apiserverV1.Resource | undefined): KindInfo {
  const info = resource ? kindForResource(resource.group, resource.resource) : undefined;
  if (!info || (resource!.version && resource!.version !== info.version)) {
    const name = resource ? `${resource.resource}${resource.group ? `.${resource.group}` : ""}` : "";
    throw apiErrors.apiError("NotFound", `the server could not find the requested resource (${name || "no resource given"})`);
  }
  return info;
}
