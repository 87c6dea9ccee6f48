// Unit tests of the tracker of writes not yet in the informer cache.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { discoveryV1 } from "@kubeplane/api";
import { WriteTracker } from "./write-tracker.js";

const slice = (name: string, resourceVersion: string): discoveryV1.EndpointSlice => discoveryV1.EndpointSlice.fromPartial({ metadata: { name, resourceVersion } });

describe("WriteTracker", () => {
  it("is stale until the cache holds each written slice at its resourceVersion or newer, and drops deleted ones", () => {
    const tracker = new WriteTracker();
    const cache = new Map<string, discoveryV1.EndpointSlice>();
    const lookup = (name: string): discoveryV1.EndpointSlice | undefined => cache.get(name);
    assert.equal(tracker.stale("ns/web", lookup), false);
    tracker.written("ns/web", slice("web-a", "12"));
    assert.equal(tracker.stale("ns/web", lookup), true, "not in the cache yet");
    cache.set("web-a", slice("web-a", "11"));
    assert.equal(tracker.stale("ns/web", lookup), true, "an older version is cached");
    cache.set("web-a", slice("web-a", "13"));
    assert.equal(tracker.stale("ns/web", lookup), false);
    assert.equal(tracker.stale("ns/other", lookup), false, "per service");

    tracker.deleted("ns/web", slice("web-a", "13"));
    assert.equal(tracker.stale("ns/web", lookup), true, "still cached");
    cache.delete("web-a");
    assert.equal(tracker.stale("ns/web", lookup), false);
  });

  it("forgets a write whose slice was seen deleted, and any write after its TTL", () => {
    let now = 0;
    const tracker = new WriteTracker(1000, () => now);
    tracker.written("ns/web", slice("web-a", "5"));
    tracker.observedDeleted("ns/web", slice("web-a", "6"));
    assert.equal(tracker.stale("ns/web", () => undefined), false);
    tracker.written("ns/web", slice("web-b", "7"));
    now = 1001;
    assert.equal(tracker.stale("ns/web", () => undefined), false);
  });
});
