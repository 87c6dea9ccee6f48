// ImageLocality: prefers nodes that already have the pod's images, weighted by image size and
// damped by how widely each image is spread (kube-scheduler's imagelocality).
import { MAX_NODE_SCORE, SUCCESS } from "../framework/interface.js";
import type { CycleState, NodeInfo, PluginFactory, PodInfo, PreScorePlugin, ScorePlugin, Snapshot, Status } from "../framework/interface.js";
import { intDiv } from "./helper/int-div.js";

export const IMAGE_LOCALITY = "ImageLocality";
const PRE_SCORE_STATE_KEY = "PreScore" + IMAGE_LOCALITY;

const MB = 1024 * 1024;
/** Below this sum a node scores 0: small images are quick to pull anyway. */
const MIN_THRESHOLD = 23 * MB;
/** Per container, the sum above which a node scores MAX_NODE_SCORE. */
const MAX_CONTAINER_THRESHOLD = 1000 * MB;

const DOCKER_HUB = "docker.io/";
const LIBRARY = "library/";

/**
 * The canonical reference of `image`: ":latest" when it has neither tag nor digest, Docker Hub's
 * "docker.io/" (and "library/" for official images) when it names no registry.
 */
export function normalizeImageName(image: string): string {
  let name = image;
  if (name.lastIndexOf(":") <= name.lastIndexOf("/")) name += ":latest";
  const slash = name.indexOf("/");
  const first = slash < 0 ? "" : name.slice(0, slash);
  // A first component is a registry only if it looks like a host (as the docker reference grammar says).
  const hasRegistry = first.includes(".") || first.includes(":") || first === "localhost";
  if (first === "index.docker.io") name = DOCKER_HUB + name.slice(slash + 1);
  else if (!hasRegistry) name = DOCKER_HUB + name;
  if (name.startsWith(DOCKER_HUB) && !name.slice(DOCKER_HUB.length).includes("/")) name = DOCKER_HUB + LIBRARY + name.slice(DOCKER_HUB.length);
  return name;
}

/** Every spelling a node may report for `image`, the canonical one first. */
export function imageNameVariants(image: string): string[] {
  const canonical = normalizeImageName(image);
  const variants = [canonical];
  if (canonical.startsWith(DOCKER_HUB)) {
    const path = canonical.slice(DOCKER_HUB.length);
    variants.push(path);
    if (path.startsWith(LIBRARY)) variants.push(path.slice(LIBRARY.length), DOCKER_HUB + path.slice(LIBRARY.length));
  }
  if (!variants.includes(image)) variants.push(image);
  return variants;
}

/** What PreScore computes once per pod. */
interface PreScoreState {
  /** Name variants of each container's image (init containers first). */
  images: string[][];
  totalNumNodes: number;
}

/** An image's size scaled by the share of nodes that have it, so a ubiquitous image does not pull pods together. */
function scaledImageScore(state: { sizeBytes: number; numNodes: number }, totalNumNodes: number): number {
  return Math.trunc(state.sizeBytes * (state.numNodes / totalNumNodes));
}

/** Maps the sum into 0..MAX_NODE_SCORE between the thresholds, as kube-scheduler's calculatePriority. */
export function calculatePriority(sumScores: number, numContainers: number): number {
  const maxThreshold = MAX_CONTAINER_THRESHOLD * numContainers;
  const clamped = Math.min(Math.max(sumScores, MIN_THRESHOLD), maxThreshold);
  if (maxThreshold <= MIN_THRESHOLD) return 0;
  return intDiv(MAX_NODE_SCORE * (clamped - MIN_THRESHOLD), maxThreshold - MIN_THRESHOLD);
}

export class ImageLocality {
  readonly name = IMAGE_LOCALITY;

  /** `snapshot` supplies the node count when PreScore did not run. */
  constructor(private readonly snapshot?: () => Snapshot) {}

  preScore(state: CycleState, pod: PodInfo, _nodes: readonly NodeInfo[], snapshot: Snapshot): Status {
    state.write(PRE_SCORE_STATE_KEY, this.prepare(pod, snapshot.numNodes));
    return SUCCESS;
  }

  score(state: CycleState, pod: PodInfo, node: NodeInfo): number {
    const s = state.read<PreScoreState>(PRE_SCORE_STATE_KEY) ?? this.prepare(pod, this.snapshot?.().numNodes ?? 1);
    let sum = 0;
    for (const variants of s.images) {
      for (const name of variants) {
        const image = node.imageStates.get(name);
        if (image) {
          sum += scaledImageScore(image, s.totalNumNodes);
          break;
        }
      }
    }
    return calculatePriority(sum, s.images.length);
  }

  private prepare(pod: PodInfo, totalNumNodes: number): PreScoreState {
    const spec = pod.pod.spec;
    const containers = [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])];
    return { images: containers.map((c) => imageNameVariants(c.image)), totalNumNodes: Math.max(totalNumNodes, 1) };
  }
}

/** The registry's constructor of ImageLocality. */
export const newImageLocality: PluginFactory = (_args, handle) => new ImageLocality(() => handle.snapshot()) satisfies PreScorePlugin & ScorePlugin;
