// Kubernetes Ingress path semantics: Exact is string equality, Prefix matches whole path elements.
/** The path types the routing table distinguishes (ImplementationSpecific is routed as Prefix). */
export type PathKind = "Exact" | "Prefix";

/** The path's non-empty elements: "/foo/bar/" → ["foo", "bar"]. */
export function pathElements(path: string): string[] {
  return path.split("/").filter((s) => s !== "");
}

/**
 * Whether the request path's elements start with all of `prefix`'s elements: "/foo" matches
 * "/foo" and "/foo/bar" but not "/foobar"; a trailing slash on either side is ignored.
 */
export function elementsHavePrefix(requestElements: readonly string[], prefix: readonly string[]): boolean {
  if (prefix.length > requestElements.length) return false;
  return prefix.every((element, i) => requestElements[i] === element);
}

/** The pathType an Ingress path is routed as (unset and ImplementationSpecific are Prefix). */
export function pathKind(pathType: string | undefined): PathKind {
  return pathType === "Exact" ? "Exact" : "Prefix";
}

/** The request target's path without query or fragment ("/a?b" → "/a"); "/" when empty. */
export function requestPath(url: string | undefined): string {
  const raw = url ?? "/";
  const end = raw.search(/[?#]/);
  const path = end < 0 ? raw : raw.slice(0, end);
  return path === "" ? "/" : path;
}
