// Unit tests of matching Services and pods through the informer cache's indexes.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { coreV1Pod, coreV1Service } from "@kubeplane/api";
import { Indexer } from "@kubeplane/client";
import { podsForService, serviceSelector, servicesForPod } from "./service-pods.js";
import { testPod, testService } from "./test-objects.js";

function inNamespace<T extends coreV1Pod.Pod | coreV1Service.Service>(obj: T, namespace: string): T {
  obj.metadata!.namespace = namespace;
  return obj;
}

describe("service and pod matching", () => {
  const pods = new Indexer<coreV1Pod.Pod>();
  pods.upsert(testPod("a", { labels: { app: "web", tier: "front" } }));
  pods.upsert(testPod("b", { labels: { app: "web" } }));
  pods.upsert(testPod("c", { labels: { app: "db" } }));
  pods.upsert(inNamespace(testPod("d", { labels: { app: "web", tier: "front" } }), "other"));
  const services = new Indexer<coreV1Service.Service>();
  services.upsert(testService({ selector: { app: "web", tier: "front" } }, "front"));
  services.upsert(testService({ selector: { app: "web" } }, "web"));
  services.upsert(testService({ selector: {} }, "manual"));
  services.upsert(inNamespace(testService({ selector: { app: "web" } }, "elsewhere"), "other"));

  it("a Service selects the pods of its namespace matching every selector label", () => {
    const names = (svc: string): string[] => podsForService(pods, services.get("ns", svc)!).map((p) => p.metadata!.name).sort();
    assert.deepEqual(names("front"), ["a"]);
    assert.deepEqual(names("web"), ["a", "b"]);
    assert.deepEqual(names("manual"), [], "no selector selects nothing");
  });

  it("a pod maps to the Services of its namespace that select it", () => {
    assert.deepEqual(servicesForPod(services, pods.get("ns", "a")!).sort(), ["ns/front", "ns/web"]);
    assert.deepEqual(servicesForPod(services, pods.get("ns", "c")!), []);
    assert.deepEqual(servicesForPod(services, pods.get("other", "d")!), ["other/elsewhere"]);
  });

  it("an empty selector is no selector", () => {
    assert.equal(serviceSelector(services.get("ns", "manual")!), undefined);
    assert.deepEqual(serviceSelector(services.get("ns", "web")!), { app: "web" });
  });
});
