// Where objects live in etcd: /registry/<group|core>/<resource>/<namespace>/<name> (ARCHITECTURE §3).
import { kindForResource, type KindInfo } from "./kinds.js";

export const REGISTRY_PREFIX = "/registry/";

/** The etcd key of one object; cluster-scoped kinds have no namespace segment. */
export function registryKey(info: KindInfo, namespace: string, name: string): string {
  return info.namespaced ? `${resourcePrefix(info)}${namespace}/${name}` : `${resourcePrefix(info)}${name}`;
}

/** The prefix of every object of a kind: `/registry/apps/deployments/`. */
export function resourcePrefix(info: KindInfo): string {
  return `${REGISTRY_PREFIX}${info.group || "core"}/${info.resource}/`;
}

/** The prefix of a kind's objects in one namespace (namespaced kinds only). */
export function namespacePrefix(info: KindInfo, namespace: string): string {
  return `${resourcePrefix(info)}${namespace}/`;
}

export interface ParsedKey {
  info: KindInfo;
  namespace: string;
  name: string;
}

/** The kind, namespace and name of a registry key, or undefined for a key that is not an object's. */
export function parseRegistryKey(key: string): ParsedKey | undefined {
  if (!key.startsWith(REGISTRY_PREFIX)) return undefined;
  const parts = key.slice(REGISTRY_PREFIX.length).split("/");
  if (parts.length < 3) return undefined;
  const [group, resource] = parts;
  const info = kindForResource(group === "core" ? "" : group!, resource!);
  if (!info) return undefined;
  if (info.namespaced) return parts.length === 4 ? { info, namespace: parts[2]!, name: parts[3]! } : undefined;
  return parts.length === 3 ? { info, namespace: "", name: parts[2]! } : undefined;
}
