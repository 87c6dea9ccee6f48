// Values of the downward API for env vars: a pod's fieldRef paths and a container's resourceFieldRef.

import { cpuMillis, bytes, type coreV1Pod, type coreV1Volume } from "@kubeplane/api";

type Pod = coreV1Pod.Pod;
type Container = coreV1Pod.Container;

/** Node facts a fieldRef may need that the pod object may not carry yet. */
export interface FieldRefContext {
  podIp: string;
  podIps: string[];
  hostIp: string;
  nodeName: string;
}

/** Kubernetes' FormatMap: sorted `key="value"` lines (for metadata.labels / metadata.annotations). */
function formatMap(map: Record<string, string>): string {
  return Object.keys(map)
    .sort()
    .map((k) => `${k}=${JSON.stringify(map[k])}`)
    .join("\n");
}

const SUBSCRIPT = /^metadata\.(labels|annotations)\['(.+)'\]$/;

/** The value of fieldPath for pod, or undefined when the path is not supported (the caller throws). */
export function podFieldValue(pod: Pod, fieldPath: string, ctx: FieldRefContext): string | undefined {
  const meta = pod.metadata;
  const sub = SUBSCRIPT.exec(fieldPath);
  if (sub) {
    const map = sub[1] === "labels" ? meta?.labels : meta?.annotations;
    return map?.[sub[2] ?? ""] ?? "";
  }
  switch (fieldPath) {
    case "metadata.name":
      return meta?.name ?? "";
    case "metadata.namespace":
      return meta?.namespace ?? "";
    case "metadata.uid":
      return meta?.uid ?? "";
    case "metadata.labels":
      return formatMap(meta?.labels ?? {});
    case "metadata.annotations":
      return formatMap(meta?.annotations ?? {});
    case "spec.nodeName":
      return pod.spec?.nodeName || ctx.nodeName;
    case "spec.serviceAccountName":
      return pod.spec?.serviceAccountName ?? "";
    case "status.hostIP":
      return ctx.hostIp;
    case "status.hostIPs": {
      const ips = pod.status?.hostIps.map((h) => h.ip) ?? [];
      return (ips.length > 0 ? ips : [ctx.hostIp]).join(",");
    }
    case "status.podIP":
      return ctx.podIp;
    case "status.podIPs":
      return ctx.podIps.join(",");
    default:
      return undefined;
  }
}

/**
 * The value of a resourceFieldRef (limits.cpu, limits.memory, requests.cpu, requests.memory,
 * limits/requests.ephemeral-storage) divided by its divisor and rounded up, as Kubernetes'
 * ExtractContainerResourceValue. An unset limit falls back to nodeAllocatable (the kubelet's behaviour),
 * an unset request to the limit; undefined when the resource is not supported.
 */
export function containerResourceValue(
  selector: coreV1Volume.ResourceFieldSelector,
  container: Container,
  nodeAllocatable: Record<string, string> = {},
): string | undefined {
  const [kind, resource] = splitResource(selector.resource);
  if (!kind || !resource || !["cpu", "memory", "ephemeral-storage"].includes(resource)) return undefined;
  const limits = container.resources?.limits ?? {};
  const requests = container.resources?.requests ?? {};
  const limit = limits[resource] ?? nodeAllocatable[resource];
  const quantity = kind === "limits" ? limit : (requests[resource] ?? limits[resource]);
  const divisor = selector.divisor || "1";
  if (resource === "cpu") {
    return String(Math.ceil(cpuMillis(quantity ?? "0") / cpuMillis(divisor)));
  }
  return String(Math.ceil(bytes(quantity ?? "0") / bytes(divisor)));
}

function splitResource(resource: string): [string | undefined, string | undefined] {
  const dot = resource.indexOf(".");
  if (dot < 0) return [undefined, undefined];
  const kind = resource.slice(0, dot);
  return kind === "limits" || kind === "requests" ? [kind, resource.slice(dot + 1)] : [undefined, undefined];
}
