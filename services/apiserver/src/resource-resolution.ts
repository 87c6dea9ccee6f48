// Which kind a request names: the resource of a gRPC request resolved against the kinds registry.
import { apiErrors, kindForVersion, type apiserverV1, type KindInfo } from "@kubeplane/api";

/**
 * Resolves the request's resource to a kind (an older served version, such as autoscaling/v1
 * HorizontalPodAutoscalers, resolves to its converting view); an unknown one is NotFound, as Kubernetes answers.
 */
export function resolveResource(resource: apiserverV1.Resource | undefined): KindInfo {
  const info = resource ? kindForVersion(resource.group, resource.version, resource.resource) : undefined;
  if (!info) {
    const name = resource ? `${resource.resource}${resource.group ? `.${resource.group}` : ""}` : "";
    throw apiErrors.apiError("NotFound", `the server could not find the requested resource (${name || "no resource given"})`);
  }
  return info;
}
