// What a REST request is about, read from its method, path and query (Kubernetes' RequestInfoFactory).
import { apiErrors } from "@kubeplane/api";

/** A request as the authorize step and the handlers see it. */
export interface RequestInfo {
  /** True for /api/v1/… and /apis/<group>/<version>/… paths that name a resource. */
  isResourceRequest: boolean;
  path: string;
  /** get, list, watch, create, update, patch, delete, deletecollection (resource requests); the lower-case HTTP method otherwise. */
  verb: string;
  apiGroup: string;
  apiVersion: string;
  namespace: string;
  resource: string;
  subresource: string;
  name: string;
}

const verbsByMethod: Record<string, string> = { POST: "create", PUT: "update", PATCH: "patch", GET: "get", HEAD: "get", DELETE: "delete" };

const namespaceSubresources = new Set(["status", "finalize"]);

function isWatch(query: URLSearchParams): boolean {
  const w = query.get("watch");
  return w === "1" || w === "true";
}

/**
 * Parses `/api/v1/namespaces/NS/RESOURCE/NAME/SUBRESOURCE` and `/apis/GROUP/VERSION/…`. Paths that
 * stop at a group or version (discovery) or live elsewhere (/version, /openapi/v3) are non-resource
 * requests. `/api/v1/namespaces/NAME` is the namespace itself, as in Kubernetes.
 */
export function requestInfo(method: string, path: string, query: URLSearchParams): RequestInfo {
  const nonResource: RequestInfo = {
    isResourceRequest: false, path, verb: method.toLowerCase(), apiGroup: "", apiVersion: "", namespace: "", resource: "", subresource: "", name: "",
  };
  let parts: string[];
  try {
    parts = path.split("/").filter((p) => p !== "").map((p) => decodeURIComponent(p));
  } catch {
    throw apiErrors.badRequest(`the path ${JSON.stringify(path)} is not valid percent-encoding`);
  }
  let rest: string[];
  let apiGroup = "";
  let apiVersion: string;
  if (parts[0] === "api" && parts.length >= 3) {
    apiVersion = parts[1]!;
    rest = parts.slice(2);
  } else if (parts[0] === "apis" && parts.length >= 4) {
    apiGroup = parts[1]!;
    apiVersion = parts[2]!;
    rest = parts.slice(3);
  } else return nonResource;
  const info: RequestInfo = { ...nonResource, isResourceRequest: true, apiGroup, apiVersion, verb: verbsByMethod[method] ?? method.toLowerCase() };
  if (rest[0] === "namespaces" && rest.length > 1) {
    info.namespace = rest[1]!;
    // /namespaces/NAME/status and /finalize are the namespace's own subresources; anything else is a resource in it.
    if (rest.length > 2 && !namespaceSubresources.has(rest[2]!)) rest = rest.slice(2);
  }
  info.resource = rest[0] ?? "";
  info.name = rest[1] ?? "";
  info.subresource = rest[2] ?? "";
  if (rest.length > 3) return { ...nonResource, verb: info.verb };
  if (!info.name && info.verb === "get") info.verb = isWatch(query) ? "watch" : "list";
  else if (info.name && info.verb === "get" && isWatch(query) && !info.subresource) info.verb = "watch";
  if (!info.name && info.verb === "delete") info.verb = "deletecollection";
  return info;
}
