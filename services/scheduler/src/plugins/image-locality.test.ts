// Unit tests for ImageLocality: nodes holding big, rarely spread images of the pod score higher.
import assert from "node:assert/strict";
import { test } from "node:test";
import { coreV1Node, coreV1Pod } from "@kubeplane/api";
import { CycleState } from "../framework/interface.js";
import type { NodeInfo, PodInfo, Snapshot } from "../framework/interface.js";
import { nodeInfoOf } from "../framework/node-info.js";
import { newPodInfo } from "../framework/pod-info.js";
import { ImageLocality, calculatePriority, imageNameVariants, normalizeImageName } from "./image-locality.js";

const MB = 1024 * 1024;
const pod = (...images: string[]): PodInfo =>
  newPodInfo(
    coreV1Pod.Pod.fromPartial({ metadata: { name: "p", namespace: "default" }, spec: { containers: images.map((image, i) => ({ name: `c${i}`, image })) } }),
  );
/** A node whose imageStates hold `images` (name → [size, numNodes]), as the scheduler cache fills them. */
function node(name: string, images: Record<string, [number, number]>): NodeInfo {
  const info = nodeInfoOf(coreV1Node.Node.fromPartial({ metadata: { name } }));
  for (const [image, [sizeBytes, numNodes]] of Object.entries(images)) info.imageStates.set(image, { sizeBytes, numNodes });
  return info;
}
const snapshot = (numNodes: number) => ({ numNodes }) as Snapshot;

function scores(p: PodInfo, nodes: NodeInfo[], numNodes = nodes.length): Record<string, number> {
  const pl = new ImageLocality();
  const state = new CycleState();
  pl.preScore(state, p, nodes, snapshot(numNodes));
  return Object.fromEntries(nodes.map((n) => [n.name, pl.score(state, p, n)]));
}

test("image names normalise to a tagged Docker Hub reference", () => {
  assert.equal(normalizeImageName("nginx"), "docker.io/library/nginx:latest");
  assert.equal(normalizeImageName("nginx:1.25"), "docker.io/library/nginx:1.25");
  assert.equal(normalizeImageName("library/nginx:1.25"), "docker.io/library/nginx:1.25");
  assert.equal(normalizeImageName("docker.io/nginx"), "docker.io/library/nginx:latest");
  assert.equal(normalizeImageName("bitnami/redis"), "docker.io/bitnami/redis:latest");
  assert.equal(normalizeImageName("gcr.io/pause"), "gcr.io/pause:latest");
  assert.equal(normalizeImageName("localhost:5000/app"), "localhost:5000/app:latest");
  assert.equal(normalizeImageName("nginx@sha256:abc"), "docker.io/library/nginx@sha256:abc");
  assert.deepEqual(imageNameVariants("nginx"), [
    "docker.io/library/nginx:latest",
    "library/nginx:latest",
    "nginx:latest",
    "docker.io/nginx:latest",
    "nginx",
  ]);
});

test("nodes holding more of the pod's image bytes score higher", () => {
  const p = pod("nginx", "registry.example.com/app:v1");
  const nodes = [
    node("both", { "docker.io/library/nginx:latest": [300 * MB, 3], "registry.example.com/app:v1": [500 * MB, 3] }),
    node("one", { "nginx:latest": [300 * MB, 3] }),
    node("none", { "busybox:latest": [300 * MB, 3] }),
  ];
  // (800MB − 23MB) × 100 / (2000MB − 23MB) → 39; (300MB − 23MB) → 14.
  assert.deepEqual(scores(p, nodes), { both: 39, one: 14, none: 0 });
});

test("an image on few nodes counts less than the same image everywhere", () => {
  const p = pod("app:v1");
  const nodes = [node("a", { "docker.io/library/app:v1": [600 * MB, 1] }), node("b", {}), node("c", {})];
  // 600MB × 1/3 = 200MB → (200 − 23) × 100 / (1000 − 23) → 18.
  assert.deepEqual(scores(p, nodes), { a: 18, b: 0, c: 0 });
  assert.deepEqual(scores(p, [node("a", { "app:v1": [600 * MB, 3] })], 3), { a: 59 });
});

test("calculatePriority clamps between 23MB and 1000MB per container", () => {
  assert.equal(calculatePriority(10 * MB, 1), 0);
  assert.equal(calculatePriority(5000 * MB, 1), 100);
  assert.equal(calculatePriority(1000 * MB, 2), 49);
});

test("Score without PreScore reads the node count from the handle's snapshot", () => {
  const pl = new ImageLocality(() => snapshot(2));
  // 600MB × 1/2 = 300MB → 28.
  assert.equal(pl.score(new CycleState(), pod("app:v1"), node("a", { "app:v1": [600 * MB, 1] })), 28);
});
