// Unit tests of the ResourceQuota plugin: counts and compute charged by compare-and-swap, Kubernetes' refusal messages.
import assert from "node:assert/strict";
import { test } from "node:test";
import { apiErrors, kindFor, type ApiObject, type coreV1ResourceQuota, type KindInfo } from "@kubeplane/api";
import { ResourceQuotaAdmission } from "./resource-quota.js";
import { attributes, MemoryAdmissionStore } from "./test-admission-support.js";

const quotaKind = kindFor("v1", "ResourceQuota")!;
const podKind = kindFor("v1", "Pod")!;
const serviceKind = kindFor("v1", "Service")!;
const configMapKind = kindFor("v1", "ConfigMap")!;
const jobKind = kindFor("batch/v1", "Job")!;

/** A quota as the controller leaves it: status.hard from spec.hard, status.used counted. */
function storeWithQuota(hard: Record<string, string>, used: Record<string, string>, extra: Record<string, unknown> = {}, name = "q"): MemoryAdmissionStore {
  const store = new MemoryAdmissionStore();
  store.put(quotaKind, quotaKind.codec.fromJSON({ apiVersion: "v1", kind: "ResourceQuota", metadata: { name, namespace: "team" }, spec: { hard, ...extra }, status: { hard, used } }));
  return store;
}

function pod(name: string, resources?: Record<string, unknown>, extra: Record<string, unknown> = {}): ApiObject {
  return podKind.codec.fromJSON({ apiVersion: "v1", kind: "Pod", metadata: { name, namespace: "team" }, spec: { containers: [{ name: "c", image: "i", ...(resources ? { resources } : {}) }], ...extra } });
}

async function admit(store: MemoryAdmissionStore, obj: ApiObject, info: KindInfo = podKind, dryRun = false): Promise<string | undefined> {
  const plugin = new ResourceQuotaAdmission();
  const attrs = attributes(info, "CREATE", obj, { dryRun });
  if (!plugin.handles(attrs)) return "not handled";
  try {
    await plugin.validate(attrs, store);
    return undefined;
  } catch (err) {
    assert.ok(apiErrors.isApiError(err));
    assert.equal(err.reason, "Forbidden");
    return err.message;
  }
}

async function used(store: MemoryAdmissionStore, name = "q"): Promise<Record<string, string>> {
  return ((await store.get(quotaKind, "team", name)) as coreV1ResourceQuota.ResourceQuota).status?.used ?? {};
}

test("pods: 2 admits two pods, charging status.used, and refuses the third with Kubernetes' message", async () => {
  const store = storeWithQuota({ pods: "2" }, { pods: "0" });
  assert.equal(await admit(store, pod("a")), undefined);
  assert.equal(await admit(store, pod("b")), undefined);
  assert.deepEqual(await used(store), { pods: "2" });
  assert.equal(await admit(store, pod("c")), 'pods "c" is forbidden: exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2');
  assert.deepEqual(await used(store), { pods: "2" });
});

test("concurrent creates cannot exceed the quota: the charge is a compare-and-swap re-checked on each retry", async () => {
  const store = storeWithQuota({ pods: "3" }, { pods: "0" });
  const results = await Promise.all(Array.from({ length: 10 }, (_, i) => admit(store, pod(`p${i}`))));
  assert.equal(results.filter((r) => r === undefined).length, 3);
  assert.equal(results.filter((r) => r?.includes("exceeded quota: q")).length, 7);
  assert.deepEqual(await used(store), { pods: "3" });
  assert.ok(store.retries > 0, "the race was real");
});

test("compute quotas: containers must state the tracked resources; requests and limits are summed", async () => {
  const store = storeWithQuota({ "requests.cpu": "1", "limits.memory": "1Gi" }, { "requests.cpu": "500m", "limits.memory": "0" });
  assert.equal(await admit(store, pod("bare")), 'pods "bare" is forbidden: failed quota: q: must specify limits.memory for: c; requests.cpu for: c');
  assert.equal(await admit(store, pod("ok", { requests: { cpu: "250m" }, limits: { memory: "512Mi" } })), undefined);
  assert.deepEqual(await used(store), { "requests.cpu": "750m", "limits.memory": "512Mi" });
  assert.equal(
    await admit(store, pod("big", { requests: { cpu: "500m" }, limits: { memory: "256Mi" } })),
    'pods "big" is forbidden: exceeded quota: q, requested: requests.cpu=500m, used: requests.cpu=750m, limited: requests.cpu=1',
  );
});

test("a quota the controller has not counted yet refuses with status unknown; one without status.hard does not apply", async () => {
  const counted = storeWithQuota({ pods: "5" }, {});
  assert.equal(await admit(counted, pod("a")), 'pods "a" is forbidden: status unknown for quota: q, resources: pods');
  const fresh = new MemoryAdmissionStore();
  fresh.put(quotaKind, quotaKind.codec.fromJSON({ apiVersion: "v1", kind: "ResourceQuota", metadata: { name: "q", namespace: "team" }, spec: { hard: { pods: "0" } } }));
  assert.equal(await admit(fresh, pod("a")), undefined);
});

test("object counts: services, configmaps and count/<resource>.<group>", async () => {
  const store = storeWithQuota({ services: "1", "services.nodeports": "1", configmaps: "1", "count/jobs.batch": "0" }, { services: "0", "services.nodeports": "0", configmaps: "1", "count/jobs.batch": "0" });
  const svc = (name: string, type: string) =>
    serviceKind.codec.fromJSON({ apiVersion: "v1", kind: "Service", metadata: { name, namespace: "team" }, spec: { type, ports: [{ port: 80 }, { port: 443 }] } });
  assert.equal(await admit(store, svc("np", "NodePort"), serviceKind), 'services "np" is forbidden: exceeded quota: q, requested: services.nodeports=2, used: services.nodeports=0, limited: services.nodeports=1');
  assert.equal(await admit(store, svc("web", "ClusterIP"), serviceKind), undefined);
  const cm = configMapKind.codec.fromJSON({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c", namespace: "team" } });
  assert.equal(await admit(store, cm, configMapKind), 'configmaps "c" is forbidden: exceeded quota: q, requested: configmaps=1, used: configmaps=1, limited: configmaps=1');
  const job = jobKind.codec.fromJSON({ apiVersion: "batch/v1", kind: "Job", metadata: { name: "j", namespace: "team" }, spec: { template: { spec: { containers: [{ name: "c", image: "i" }] } } } });
  assert.equal(await admit(store, job, jobKind), 'jobs.batch "j" is forbidden: exceeded quota: q, requested: count/jobs.batch=1, used: count/jobs.batch=0, limited: count/jobs.batch=0');
});

test("scopes: a BestEffort quota counts only pods without cpu or memory", async () => {
  const store = storeWithQuota({ pods: "0" }, { pods: "0" }, { scopes: ["BestEffort"] });
  assert.match((await admit(store, pod("be"))) ?? "", /exceeded quota/);
  assert.equal(await admit(store, pod("burstable", { requests: { cpu: "100m" } })), undefined);
});

test("a dry run is checked but not charged", async () => {
  const store = storeWithQuota({ pods: "1" }, { pods: "0" });
  assert.equal(await admit(store, pod("a"), podKind, true), undefined);
  assert.deepEqual(await used(store), { pods: "0" });
});
