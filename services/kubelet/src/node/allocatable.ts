// Node allocatable: capacity minus what is reserved for the system and the kubelet (Kubernetes' node allocatable).
import { parseQuantity } from "@kubeplane/api";
import type { ResourceList } from "./host-info.js";

/**
 * `capacity` minus every list in `reserved` (e.g. systemReserved, kubeReserved, the hard eviction
 * threshold), per resource, never below zero; resources only in `reserved` are ignored. Throws
 * QuantityParseError for an unreadable quantity (validate reservations at start-up).
 */
export function allocatableFrom(capacity: ResourceList, ...reserved: Array<ResourceList | undefined>): ResourceList {
  const out: ResourceList = {};
  for (const [name, total] of Object.entries(capacity)) {
    let left = parseQuantity(total);
    for (const list of reserved) {
      const r = list?.[name];
      if (r !== undefined) left = left.sub(parseQuantity(r));
    }
    out[name] = left.nanos < 0n ? "0" : left.toString();
  }
  return out;
}
