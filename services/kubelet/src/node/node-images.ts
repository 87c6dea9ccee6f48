// The images a node reports in status.images (what the scheduler's ImageLocality scores on).
import type { coreV1Node } from "@kubeplane/api";
import type { Image } from "../runtime/types.js";

/** One entry of NodeStatus.images. */
export type ContainerImage = coreV1Node.ContainerImage;

/** The kubelet's --node-status-max-images default: only the biggest images are reported. */
export const MAX_NODE_STATUS_IMAGES = 50;

/**
 * The runtime's images as NodeStatus.images: names are the repo tags then the repo digests, the
 * biggest `max` images first (Kubernetes' order); images without any name are left out.
 */
export function nodeImages(images: readonly Image[], max = MAX_NODE_STATUS_IMAGES): ContainerImage[] {
  return images
    .map((img) => ({ names: [...img.repoTags, ...img.repoDigests], sizeBytes: img.size }))
    .filter((img) => img.names.length > 0)
    .sort((a, b) => b.sizeBytes - a.sizeBytes)
    .slice(0, max);
}
