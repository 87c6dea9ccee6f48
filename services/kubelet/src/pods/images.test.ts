// Unit tests of the image presence check the pod workers share: one ImageStatus for a burst of
// starts, a present image trusted for a while, an absent one (or a failed check) asked again.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { coreV1Pod } from "@kubeplane/api";
import type { Image, ImageService } from "../runtime/types.js";
import { Backoff } from "./backoff.js";
import { ImagePuller } from "./images.js";

/** An ImageService whose images are `present`, counting ImageStatus calls (each answered after a turn of the loop). */
function fakeImages(present: Set<string>): ImageService & { statusCalls: number; failNext: boolean } {
  return {
    statusCalls: 0,
    failNext: false,
    async imageStatus(image: string): Promise<Image | undefined> {
      this.statusCalls++;
      await new Promise((resolve) => setImmediate(resolve));
      if (this.failNext) {
        this.failNext = false;
        throw new Error("runtime unavailable");
      }
      return present.has(image) ? { id: `sha256:${image}`, repoTags: [image], repoDigests: [], size: 1 } : undefined;
    },
    pullImage: () => Promise.reject(new Error("no registry")),
    listImages: () => Promise.resolve([]),
    removeImage: () => Promise.resolve(),
  };
}

const container = (image: string, imagePullPolicy = "IfNotPresent"): coreV1Pod.Container => ({ name: "c", image, imagePullPolicy }) as coreV1Pod.Container;

test("50 containers starting at once share one ImageStatus; each still gets its Pulled event", async () => {
  const images = fakeImages(new Set(["busybox:1.36"]));
  const puller = new ImagePuller(images, new Backoff(10_000, 300_000), 60_000);
  const events: string[] = [];
  const results = await Promise.all(Array.from({ length: 50 }, (_, i) => puller.ensure(container("busybox:1.36"), `pod-${i}/c`, (_t, reason) => events.push(reason))));
  assert.equal(images.statusCalls, 1);
  assert.ok(results.every((r) => "ref" in r && r.ref === "sha256:busybox:1.36"));
  assert.equal(events.filter((r) => r === "Pulled").length, 50);
  await puller.ensure(container("busybox:1.36"), "pod-x/c");
  assert.equal(images.statusCalls, 1, "a present image is trusted within the TTL");
  puller.forgetImage("busybox:1.36");
  await puller.ensure(container("busybox:1.36"), "pod-y/c");
  assert.equal(images.statusCalls, 2, "forgetImage makes the next start ask again");
});

test("an absent image and a failed check are asked again; a zero TTL asks every time", async () => {
  const present = new Set<string>();
  const images = fakeImages(present);
  const puller = new ImagePuller(images, new Backoff(10_000, 300_000), 60_000);
  const first = await puller.ensure(container("app:1", "Never"), "p/c");
  assert.ok("waiting" in first && first.waiting.reason === "ErrImageNeverPull");
  present.add("app:1");
  const second = await puller.ensure(container("app:1", "Never"), "p/c");
  assert.ok("ref" in second, "the image that arrived is seen at once");
  assert.equal(images.statusCalls, 2);

  images.failNext = true;
  await assert.rejects(puller.ensure(container("other:1"), "q/c"), /runtime unavailable/);
  present.add("other:1");
  assert.ok("ref" in (await puller.ensure(container("other:1"), "q/c")));
  assert.equal(images.statusCalls, 4);

  const uncached = new ImagePuller(images, new Backoff(10_000, 300_000), 0);
  await uncached.ensure(container("app:1"), "r/c");
  await uncached.ensure(container("app:1"), "r/c");
  assert.equal(images.statusCalls, 6);
});
