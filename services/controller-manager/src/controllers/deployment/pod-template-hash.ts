// The pod-template-hash that names a Deployment's ReplicaSets and labels their selector, template and pods.
import { coreV1Pod, metaV1 } from "@kubeplane/api";
import { canonicalJson } from "../util/controller-history.js";

type PodTemplateSpec = coreV1Pod.PodTemplateSpec;

/** The label (DefaultDeploymentUniqueLabelKey) that keeps the ReplicaSets of one Deployment apart. */
export const POD_TEMPLATE_HASH = "pod-template-hash";

/** Kubernetes' rand.SafeEncodeString alphabet: no vowels, so a hash never spells a word. */
const SAFE_CHARS = "bcdfghjklmnpqrstvwxz2456789";

function fnv1a32(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/**
 * controller.ComputeHash: FNV-32a of the template's canonical JSON, then the collision count as
 * four little-endian bytes when the Deployment has one, so a collision yields a new name.
 */
export function computeHash(template: PodTemplateSpec | undefined, collisionCount?: number): string {
  const json = Buffer.from(canonicalJson(coreV1Pod.PodTemplateSpec.toJSON(template ?? coreV1Pod.PodTemplateSpec.fromPartial({}))), "utf8");
  let bytes: Uint8Array = json;
  if (collisionCount !== undefined) {
    const count = Buffer.alloc(4);
    count.writeUInt32LE(collisionCount >>> 0);
    bytes = Buffer.concat([json, count]);
  }
  return [...String(fnv1a32(bytes))].map((c) => SAFE_CHARS[c.charCodeAt(0) % SAFE_CHARS.length]).join("");
}

/** Whether two templates are the same once the hash label is ignored (EqualIgnoreHash). */
export function equalIgnoringHash(a: PodTemplateSpec | undefined, b: PodTemplateSpec | undefined): boolean {
  const strip = (t: PodTemplateSpec | undefined): string => {
    const json = coreV1Pod.PodTemplateSpec.toJSON(t ?? coreV1Pod.PodTemplateSpec.fromPartial({})) as { metadata?: { labels?: Record<string, string> } };
    if (json.metadata?.labels) {
      const { [POD_TEMPLATE_HASH]: _hash, ...labels } = json.metadata.labels;
      json.metadata.labels = labels;
      if (Object.keys(labels).length === 0) delete json.metadata.labels;
      if (Object.keys(json.metadata).length === 0) delete json.metadata;
    }
    return canonicalJson(json);
  };
  return strip(a) === strip(b);
}

/** The Deployment's template with the hash label added: the new ReplicaSet's template. */
export function templateWithHash(template: PodTemplateSpec | undefined, hash: string): PodTemplateSpec {
  const copy = coreV1Pod.PodTemplateSpec.fromPartial(template ?? {});
  const metadata = copy.metadata ?? coreV1Pod.PodTemplateSpec.fromPartial({ metadata: {} }).metadata!;
  metadata.labels = { ...metadata.labels, [POD_TEMPLATE_HASH]: hash };
  copy.metadata = metadata;
  return copy;
}

/** The Deployment's selector narrowed to one ReplicaSet's pods (CloneSelectorAndAddLabel). */
export function selectorWithHash(selector: metaV1.LabelSelector | undefined, hash: string): metaV1.LabelSelector {
  const copy = metaV1.LabelSelector.fromPartial(selector ?? {});
  copy.matchLabels = { ...copy.matchLabels, [POD_TEMPLATE_HASH]: hash };
  return copy;
}
