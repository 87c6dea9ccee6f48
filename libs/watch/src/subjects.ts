// NATS subjects of watch events: one per object, plus a per-node view of pods (ARCHITECTURE §4).

/** The JetStream stream holding every watch event. */
export const KP_WATCH = "KP_WATCH";

/** Root of every subject the stream captures. */
export const SUBJECT_ROOT = "kp.watch";

/** The subject filter that captures the whole stream. */
export const ALL_SUBJECTS = `${SUBJECT_ROOT}.>`;

/** The pseudo-resource token of the pods-by-node view. */
export const PODS_BY_NODE = "pods-by-node";

/**
 * Where the publisher announces a hole in the event history (the etcd revisions it had to skip
 * after a compaction). Every event stream listens here too, so no watcher misses a gap.
 */
export const GAP_SUBJECT = `${SUBJECT_ROOT}._gap`;

/** The token standing for "no namespace" (cluster-scoped objects) or "no node" (unbound pods). */
export const NONE_TOKEN = "_";

/**
 * One subject token for a name: Kubernetes names may contain dots (DNS subdomains), which NATS
 * reads as token separators, so `.` becomes `~` (never valid in a Kubernetes name). The empty
 * string becomes `_`.
 */
export function escapeToken(value: string): string {
  return value === "" ? NONE_TOKEN : value.replaceAll(".", "~");
}

/** The inverse of `escapeToken`. */
export function unescapeToken(token: string): string {
  return token === NONE_TOKEN ? "" : token.replaceAll("~", ".");
}

/** `kp.watch.<resource>.<namespace|_>.<name>`. */
export function objectSubject(resource: string, namespace: string, name: string): string {
  return `${SUBJECT_ROOT}.${resource}.${escapeToken(namespace)}.${escapeToken(name)}`;
}

/** `kp.watch.pods-by-node.<node|_>.<namespace>.<name>`; node "" means unbound. */
export function podsByNodeSubject(node: string, namespace: string, name: string): string {
  return `${SUBJECT_ROOT}.${PODS_BY_NODE}.${escapeToken(node)}.${escapeToken(namespace)}.${escapeToken(name)}`;
}

/** Every object of a resource (`kp.watch.pods.>`), or of one namespace (`kp.watch.pods.default.>`). */
export function resourceFilter(resource: string, namespace?: string): string {
  return namespace === undefined ? `${SUBJECT_ROOT}.${resource}.>` : `${SUBJECT_ROOT}.${resource}.${escapeToken(namespace)}.>`;
}

/** Every pod bound to `node` ("" for unbound pods): what a kubelet watches. */
export function nodeFilter(node: string): string {
  return `${SUBJECT_ROOT}.${PODS_BY_NODE}.${escapeToken(node)}.>`;
}

/** What an object subject names, or undefined for another subject. */
export interface ParsedSubject {
  /** The resource, or "pods-by-node". */
  resource: string;
  /** Set for pods-by-node subjects only ("" = unbound). */
  node?: string;
  namespace: string;
  name: string;
}

/** Parses a subject made by `objectSubject` or `podsByNodeSubject`. */
export function parseSubject(subject: string): ParsedSubject | undefined {
  const tokens = subject.split(".");
  if (tokens[0] !== "kp" || tokens[1] !== "watch") return undefined;
  if (tokens[2] === PODS_BY_NODE && tokens.length === 6) {
    return { resource: PODS_BY_NODE, node: unescapeToken(tokens[3]!), namespace: unescapeToken(tokens[4]!), name: unescapeToken(tokens[5]!) };
  }
  if (tokens.length === 5) return { resource: tokens[2]!, namespace: unescapeToken(tokens[3]!), name: unescapeToken(tokens[4]!) };
  return undefined;
}
