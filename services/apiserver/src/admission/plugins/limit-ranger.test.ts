// Unit tests of LimitRanger: defaults land on containers (annotated), and min/max/ratio bounds refuse with Kubernetes' messages.
import assert from "node:assert/strict";
import { test } from "node:test";
import { apiErrors, applyDefaults, kindFor, type ApiObject, type coreV1Pod } from "@kubeplane/api";
import { LIMIT_RANGER_ANNOTATION, LimitRanger } from "./limit-ranger.js";
import { attributes, MemoryAdmissionStore } from "./test-admission-support.js";

const lrKind = kindFor("v1", "LimitRange")!;
const podKind = kindFor("v1", "Pod")!;
const pvcKind = kindFor("v1", "PersistentVolumeClaim")!;

function storeWithLimits(...limits: Record<string, unknown>[]): MemoryAdmissionStore {
  const store = new MemoryAdmissionStore();
  const lr = lrKind.codec.fromJSON({ apiVersion: "v1", kind: "LimitRange", metadata: { name: "limits", namespace: "team" }, spec: { limits } });
  applyDefaults(lrKind, lr);
  store.put(lrKind, lr);
  return store;
}

function pod(containers: Record<string, unknown>[], initContainers: Record<string, unknown>[] = []): coreV1Pod.Pod {
  return podKind.codec.fromJSON({ apiVersion: "v1", kind: "Pod", metadata: { name: "p", namespace: "team" }, spec: { containers, initContainers } }) as coreV1Pod.Pod;
}

async function run(plugin: LimitRanger, store: MemoryAdmissionStore, obj: ApiObject, kind = podKind): Promise<string | undefined> {
  const attrs = attributes(kind, "CREATE", obj);
  assert.ok(plugin.handles(attrs));
  try {
    await plugin.admit(attrs, store);
    await plugin.validate(attrs, store);
    return undefined;
  } catch (err) {
    assert.ok(apiErrors.isApiError(err));
    assert.equal(err.reason, "Forbidden");
    return err.message;
  }
}

test("Container defaults fill unset requests and limits of containers and init containers, and are recorded", async () => {
  const store = storeWithLimits({ type: "Container", default: { cpu: "500m", memory: "256Mi" }, defaultRequest: { cpu: "100m" } });
  const p = pod([{ name: "app", image: "i", resources: { limits: { memory: "1Gi" } } }], [{ name: "init", image: "i" }]);
  assert.equal(await run(new LimitRanger(), store, p), undefined);
  assert.deepEqual(p.spec?.containers[0]?.resources?.limits, { memory: "1Gi", cpu: "500m" });
  // LimitRange defaulting made the memory default limit the memory default request too.
  assert.deepEqual(p.spec?.containers[0]?.resources?.requests, { cpu: "100m", memory: "256Mi" });
  assert.deepEqual(p.spec?.initContainers[0]?.resources?.limits, { cpu: "500m", memory: "256Mi" });
  assert.equal(
    p.metadata?.annotations[LIMIT_RANGER_ANNOTATION],
    "LimitRanger plugin set: cpu, memory request for container app; cpu limit for container app; cpu, memory request for init container init; cpu, memory limit for init container init",
  );
});

test("a max without a default becomes the default limit (LimitRange defaulting), so a bare container is admitted at the max", async () => {
  const store = storeWithLimits({ type: "Container", max: { cpu: "1" } });
  const p = pod([{ name: "app", image: "i" }]);
  assert.equal(await run(new LimitRanger(), store, p), undefined);
  assert.deepEqual(p.spec?.containers[0]?.resources?.limits, { cpu: "1" });
  assert.deepEqual(p.spec?.containers[0]?.resources?.requests, { cpu: "1" });
});

test("Container min, max and ratio refusals carry Kubernetes' messages", async () => {
  const plugin = new LimitRanger();
  const cases: [Record<string, unknown>, Record<string, unknown>, string][] = [
    [{ type: "Container", min: { cpu: "200m" }, default: { cpu: "1" }, defaultRequest: { cpu: "300m" } }, { requests: { cpu: "100m" } }, "minimum cpu usage per Container is 200m, but request is 100m"],
    [{ type: "Container", max: { memory: "1Gi" } }, { limits: { memory: "2Gi" } }, "maximum memory usage per Container is 1Gi, but limit is 2Gi"],
    [{ type: "Container", maxLimitRequestRatio: { cpu: "2" } }, { requests: { cpu: "100m" }, limits: { cpu: "1" } }, "cpu max limit to request ratio per Container is 2, but provided ratio is 10.000000"],
    [{ type: "Container", maxLimitRequestRatio: { cpu: "2" } }, { limits: { cpu: "1" } }, "cpu max limit to request ratio per Container is 2, but no request is specified or request is 0"],
  ];
  for (const [item, resources, message] of cases) {
    const got = await run(plugin, storeWithLimits(item), pod([{ name: "app", image: "i", resources }]));
    assert.equal(got, `pods "p" is forbidden: ${message}`);
  }
});

test("Pod items bound the sum of the containers (init containers counted at their peak); several problems are bracketed", async () => {
  const store = storeWithLimits({ type: "Pod", max: { cpu: "1", memory: "1Gi" } });
  const p = pod(
    [
      { name: "a", image: "i", resources: { limits: { cpu: "600m", memory: "512Mi" } } },
      { name: "b", image: "i", resources: { limits: { cpu: "600m", memory: "256Mi" } } },
    ],
    [{ name: "init", image: "i", resources: { limits: { memory: "2Gi", cpu: "100m" } } }],
  );
  assert.equal(
    await run(new LimitRanger(), store, p),
    'pods "p" is forbidden: [maximum cpu usage per Pod is 1, but limit is 1200m, maximum memory usage per Pod is 1Gi, but limit is 2Gi]',
  );
});

test("PersistentVolumeClaim items bound the storage a claim requests", async () => {
  const store = storeWithLimits({ type: "PersistentVolumeClaim", min: { storage: "1Gi" }, max: { storage: "10Gi" } });
  const claim = (size: string) =>
    pvcKind.codec.fromJSON({ apiVersion: "v1", kind: "PersistentVolumeClaim", metadata: { name: "data", namespace: "team" }, spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: size } } } });
  assert.equal(await run(new LimitRanger(), store, claim("5Gi"), pvcKind), undefined);
  assert.equal(await run(new LimitRanger(), store, claim("20Gi"), pvcKind), 'persistentvolumeclaims "data" is forbidden: maximum storage usage per PersistentVolumeClaim is 10Gi, but request is 20Gi');
  assert.equal(await run(new LimitRanger(), store, claim("500Mi"), pvcKind), 'persistentvolumeclaims "data" is forbidden: minimum storage usage per PersistentVolumeClaim is 1Gi, but request is 500Mi');
});

test("pod updates and subresources are not handled (containers cannot change after creation)", () => {
  const plugin = new LimitRanger();
  const p = pod([{ name: "app", image: "i" }]);
  assert.equal(plugin.handles(attributes(podKind, "UPDATE", p, { oldObject: p })), false);
  assert.equal(plugin.handles(attributes(podKind, "CREATE", p, { subresource: "binding" })), false);
});
