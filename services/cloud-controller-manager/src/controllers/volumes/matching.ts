// Which pre-created PersistentVolume fits a claim (the PV binder's matching), and whether a PV may live on a node.
import { labelSelectorFromObject, parseQuantity, type coreV1Node, type LabelSelectorObject } from "@kubeplane/api";
import type { PersistentVolume, PersistentVolumeClaim } from "./kinds.js";

/** The claim's storage class name ("" for none). */
export function classOf(pvc: PersistentVolumeClaim): string {
  return pvc.spec?.storageClassName ?? "";
}

/** True when `pv`'s node affinity (if any) admits `node` (In, NotIn, Exists, DoesNotExist on labels; metadata.name fields). */
export function nodeAffinityAdmits(pv: PersistentVolume, node: coreV1Node.Node): boolean {
  const terms = pv.spec?.nodeAffinity?.required?.nodeSelectorTerms ?? [];
  if (terms.length === 0) return true;
  const labels = node.metadata?.labels ?? {};
  const fields: Record<string, string> = { "metadata.name": node.metadata?.name ?? "" };
  const holds = (req: { key: string; operator: string; values: string[] }, source: Record<string, string>): boolean => {
    const has = Object.hasOwn(source, req.key);
    switch (req.operator) {
      case "In":
        return has && req.values.includes(source[req.key]!);
      case "NotIn":
        return !has || !req.values.includes(source[req.key]!);
      case "Exists":
        return has;
      case "DoesNotExist":
        return !has;
      default:
        return false;
    }
  };
  // Terms are ORed; requirements within a term are ANDed.
  return terms.some((t) => (t.matchExpressions.length > 0 || t.matchFields.length > 0) && t.matchExpressions.every((r) => holds(r, labels)) && t.matchFields.every((r) => holds(r, fields)));
}

/** Whether `pv` is free for `pvc` or already meant for it (pre-bound by claimRef). */
function available(pv: PersistentVolume, pvc: PersistentVolumeClaim): boolean {
  if (pv.metadata?.deletionTimestamp) return false;
  const ref = pv.spec?.claimRef;
  if (!ref) return pv.status?.phase !== "Released" && pv.status?.phase !== "Failed";
  return ref.namespace === pvc.metadata?.namespace && ref.name === pvc.metadata?.name && (ref.uid === "" || ref.uid === pvc.metadata?.uid);
}

/**
 * The smallest PV that satisfies the claim: same storage class, every requested access mode, the
 * same volume mode, at least the requested capacity, the claim's selector, and (when `node` is
 * given, for WaitForFirstConsumer) a node affinity admitting that node. A PV pre-bound to the
 * claim wins over any other. Undefined when none fits.
 */
export function findMatchingVolume(pvc: PersistentVolumeClaim, volumes: readonly PersistentVolume[], node?: coreV1Node.Node): PersistentVolume | undefined {
  const spec = pvc.spec;
  const request = spec?.resources?.requests["storage"];
  if (!spec || !request) return undefined;
  const wanted = parseQuantity(request);
  const selector = spec.selector ? labelSelectorFromObject(spec.selector as LabelSelectorObject) : undefined;
  const fits = volumes.filter((pv) => {
    const s = pv.spec;
    if (!s || !available(pv, pvc)) return false;
    if (s.storageClassName !== classOf(pvc)) return false;
    if (!spec.accessModes.every((m) => s.accessModes.includes(m))) return false;
    if ((s.volumeMode ?? "Filesystem") !== (spec.volumeMode ?? "Filesystem")) return false;
    const capacity = s.capacity["storage"];
    if (!capacity || parseQuantity(capacity).cmp(wanted) < 0) return false;
    if (selector && !selector.matches(pv.metadata?.labels ?? {})) return false;
    return !node || nodeAffinityAdmits(pv, node);
  });
  const preBound = fits.find((pv) => pv.spec?.claimRef);
  if (preBound) return preBound;
  return fits.sort((a, b) => parseQuantity(a.spec!.capacity["storage"]!).cmp(parseQuantity(b.spec!.capacity["storage"]!)) || (a.metadata?.name ?? "").localeCompare(b.metadata?.name ?? ""))[0];
}
