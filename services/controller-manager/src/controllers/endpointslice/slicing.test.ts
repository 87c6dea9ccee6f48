// Unit tests of EndpointSlice planning: packing, minimal rewrites, placeholders, ownership.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { discoveryV1, type coreV1Pod, type coreV1Service } from "@kubeplane/api";
import { desiredEndpointGroups } from "./slice-endpoints.js";
import { managedByLabel, serviceNameLabel } from "../util/endpoint/slice-labels.js";
import { addressTypesForService } from "../util/endpoint/pod-endpoints.js";
import { planServiceSlices, planSlices, type SlicePlan } from "./slicing.js";
import { testPod, testService } from "../util/endpoint/test-objects.js";

type EndpointSlice = discoveryV1.EndpointSlice;

function pods(count: number, opts: Parameters<typeof testPod>[1] = {}): coreV1Pod.Pod[] {
  return Array.from({ length: count }, (_, i) => testPod(`pod-${String(i).padStart(3, "0")}`, { ip: `10.1.${Math.floor(i / 250)}.${(i % 250) + 1}`, ...opts }));
}

/** A stand-in apiserver: applies a plan to the stored slices (names for creates, new resourceVersions, JSON round trip). */
class SliceStore {
  slices = new Map<string, EndpointSlice>();
  private revision = 1;

  apply(plan: SlicePlan): void {
    for (const s of plan.create) this.put({ ...s, metadata: { ...s.metadata!, name: `${s.metadata!.generateName}${this.revision}` } });
    for (const s of plan.update) {
      assert.equal(this.slices.get(s.metadata!.name)?.metadata?.resourceVersion, s.metadata!.resourceVersion, "updates carry the stored resourceVersion");
      this.put(s);
    }
    for (const s of plan.delete) assert.ok(this.slices.delete(s.metadata!.name));
  }

  private put(s: EndpointSlice): void {
    const stored = discoveryV1.EndpointSlice.fromJSON(discoveryV1.EndpointSlice.toJSON({ ...s, metadata: { ...s.metadata!, resourceVersion: String(++this.revision), uid: s.metadata!.uid || `uid-${s.metadata!.name}` } }));
    this.slices.set(stored.metadata!.name, stored);
  }

  list(): EndpointSlice[] {
    return [...this.slices.values()];
  }
}

function plan(svc: coreV1Service.Service, store: SliceStore, current: coreV1Pod.Pod[], max = 100, zones: Record<string, string> = {}): SlicePlan {
  return planSlices({ service: svc, existing: store.list(), desired: desiredEndpointGroups(svc, current, (n) => zones[n]), maxEndpointsPerSlice: max });
}

const writes = (p: SlicePlan): number => p.create.length + p.update.length + p.delete.length;
const sizes = (store: SliceStore): number[] => store.list().map((s) => s.endpoints.length).sort((a, b) => b - a);

describe("planSlices", () => {
  it("packs 250 endpoints into 3 slices of at most 100, labelled and owned by the service, then writes nothing", () => {
    const svc = testService();
    const store = new SliceStore();
    const first = plan(svc, store, pods(250));
    assert.equal(first.create.length, 3);
    store.apply(first);
    assert.deepEqual(sizes(store), [100, 100, 50]);
    for (const s of store.list()) {
      assert.equal(s.addressType, "IPv4");
      assert.equal(s.metadata!.generateName, "web-");
      assert.equal(s.metadata!.labels[serviceNameLabel], "web");
      assert.equal(s.metadata!.labels[managedByLabel], "endpointslice-controller.k8s.io");
      assert.deepEqual(s.metadata!.ownerReferences.map((r) => [r.kind, r.name, r.uid, r.controller]), [["Service", "web", "uid-svc-web", true]]);
      assert.deepEqual(s.ports.map((p) => [p.name, p.port, p.protocol]), [["http", 8080, "TCP"]]);
    }
    assert.equal(writes(plan(svc, store, pods(250))), 0, "an unchanged service plans no write");
    assert.equal(writes(plan(svc, store, [...pods(250)].reverse())), 0, "pod order does not matter");
  });

  it("changing one pod's readiness rewrites only the slice holding it", () => {
    const svc = testService();
    const store = new SliceStore();
    const all = pods(250);
    store.apply(plan(svc, store, all));
    const holder = store.list().find((s) => s.endpoints.some((e) => e.targetRef?.name === "pod-123"))!;
    const changed = all.map((p) => (p.metadata!.name === "pod-123" ? testPod("pod-123", { ip: p.status!.podIp, ready: false }) : p));
    const next = plan(svc, store, changed);
    assert.deepEqual([next.create.length, next.update.length, next.delete.length], [0, 1, 0]);
    assert.equal(next.update[0]!.metadata!.name, holder.metadata!.name);
    const endpoint = next.update[0]!.endpoints.find((e) => e.targetRef?.name === "pod-123")!;
    assert.deepEqual(endpoint.conditions, { ready: false, serving: false, terminating: false });
    assert.equal(next.update[0]!.endpoints.length, holder.endpoints.length);
  });

  it("a new endpoint fills the fullest unchanged slice it fits in; a removed one rewrites only its slice", () => {
    const svc = testService();
    const store = new SliceStore();
    store.apply(plan(svc, store, pods(250)));
    const added = plan(svc, store, pods(251));
    assert.deepEqual([added.create.length, added.update.length, added.delete.length], [0, 1, 0]);
    assert.equal(added.update[0]!.endpoints.length, 51);
    store.apply(added);
    const removed = plan(svc, store, pods(251).filter((p) => p.metadata!.name !== "pod-010"));
    assert.deepEqual([removed.create.length, removed.update.length, removed.delete.length], [0, 1, 0]);
    store.apply(removed);
    assert.deepEqual(sizes(store), [100, 99, 51]);
  });

  it("scaling to zero leaves one empty placeholder slice, reusing a slice instead of creating one", () => {
    const svc = testService();
    const store = new SliceStore();
    store.apply(plan(svc, store, pods(150)));
    const empty = plan(svc, store, []);
    assert.deepEqual([empty.create.length, empty.update.length, empty.delete.length], [0, 1, 1]);
    store.apply(empty);
    assert.deepEqual(store.list().map((s) => [s.endpoints.length, s.ports.length]), [[0, 0]]);
    assert.equal(writes(plan(svc, store, [])), 0, "the placeholder stays as it is");
    const back = plan(svc, store, pods(3));
    assert.deepEqual([back.create.length, back.update.length, back.delete.length], [0, 1, 0], "the placeholder is reused");
    store.apply(back);
    assert.deepEqual(store.list().map((s) => [s.endpoints.length, s.ports.length]), [[3, 1]]);
  });

  it("honours a smaller maximum per slice", () => {
    const svc = testService();
    const store = new SliceStore();
    store.apply(plan(svc, store, pods(25), 10));
    assert.deepEqual(sizes(store), [10, 10, 5]);
  });

  it("groups endpoints by the ports each pod resolves, one slice set per port set", () => {
    const svc = testService({ ports: [{ name: "http", port: 80, targetPort: "http", protocol: "TCP", nodePort: 0 }] });
    const store = new SliceStore();
    store.apply(plan(svc, store, [...pods(2, { ports: [{ name: "http", containerPort: 8080 }] }), testPod("other", { ip: "10.2.0.1", ports: [{ name: "http", containerPort: 9000 }] })]));
    const byPort = store.list().map((s) => [s.ports.map((p) => p.port), s.endpoints.length]).sort();
    assert.deepEqual(byPort, [[[8080], 2], [[9000], 1]]);
  });

  it("replaces slices owned by an earlier service of the same name and fixes changed labels", () => {
    const old = testService();
    const store = new SliceStore();
    store.apply(plan(old, store, pods(3)));
    const recreated = testService();
    recreated.metadata!.uid = "uid-new";
    const next = plan(recreated, store, pods(3));
    assert.deepEqual([next.create.length, next.update.length, next.delete.length], [1, 0, 1], "another owner's slice is not reused");
    assert.equal(next.create[0]!.metadata!.ownerReferences[0]!.uid, "uid-new");
    assert.equal(next.delete[0]!.metadata!.ownerReferences[0]!.uid, "uid-svc-web");
    store.apply(next);
    const relabelled = testService({ clusterIp: "None" });
    relabelled.metadata!.uid = "uid-new";
    const labelled = plan(relabelled, store, pods(3));
    assert.equal(labelled.update.length, 1);
    assert.equal(labelled.update[0]!.metadata!.labels["service.kubernetes.io/headless"], "");
  });

  it("records node, zone, hostname and pod reference on each endpoint", () => {
    const svc = testService({ clusterIp: "None" });
    const store = new SliceStore();
    store.apply(plan(svc, store, [testPod("db-0", { node: "node-2", hostname: "db-0", subdomain: "web" })], 100, { "node-2": "zone-b" }));
    const [endpoint] = store.list()[0]!.endpoints;
    assert.deepEqual([endpoint!.addresses, endpoint!.nodeName, endpoint!.zone, endpoint!.hostname, endpoint!.targetRef?.name], [["10.0.0.1"], "node-2", "zone-b", "db-0", "db-0"]);
  });
});

describe("EndpointSlices per IP family", () => {
  const dualPod = (name: string, i: number): coreV1Pod.Pod => {
    const pod = testPod(name, { ip: `10.1.0.${i}` });
    pod.status!.podIps = [{ ip: `10.1.0.${i}` }, { ip: `fd00:10:244::${i}` }];
    return pod;
  };
  const planAll = (svc: coreV1Service.Service, store: SliceStore, current: coreV1Pod.Pod[]): SlicePlan =>
    planServiceSlices(svc, store.list(), addressTypesForService(svc), (t) => desiredEndpointGroups(svc, current, () => undefined, t), 100);

  it("the address types follow ipFamilies, else the ClusterIP's family; a headless Service without families gets both", () => {
    assert.deepEqual(addressTypesForService(testService({ ipFamilies: ["IPv6", "IPv4"] })), ["IPv6", "IPv4"]);
    assert.deepEqual(addressTypesForService(testService({ clusterIp: "fd00:10:96::a" })), ["IPv6"]);
    assert.deepEqual(addressTypesForService(testService({ clusterIp: "10.96.0.10" })), ["IPv4"]);
    assert.deepEqual(addressTypesForService(testService({ clusterIp: "None" })), ["IPv4", "IPv6"]);
  });

  it("a dual-stack Service gets an IPv4 and an IPv6 slice, each with the pods' address of its family; then writes nothing", () => {
    const svc = testService({ ipFamilies: ["IPv4", "IPv6"], clusterIps: ["10.96.0.10", "fd00:10:96::a"] });
    const store = new SliceStore();
    const current = [dualPod("a", 1), dualPod("b", 2), testPod("v4only", { ip: "10.1.0.3" })];
    const first = planAll(svc, store, current);
    assert.equal(first.create.length, 2);
    store.apply(first);
    const byType = Object.fromEntries(store.list().map((s) => [s.addressType, s.endpoints.map((e) => e.addresses[0]).sort()]));
    assert.deepEqual(byType, { IPv4: ["10.1.0.1", "10.1.0.2", "10.1.0.3"], IPv6: ["fd00:10:244::1", "fd00:10:244::2"] });
    assert.equal(writes(planAll(svc, store, current)), 0);
  });

  it("without endpoints only the primary family keeps a placeholder; a downgrade to single-stack deletes the IPv6 slices", () => {
    const svc = testService({ ipFamilies: ["IPv4", "IPv6"], clusterIps: ["10.96.0.10", "fd00:10:96::a"] });
    const store = new SliceStore();
    store.apply(planAll(svc, store, [dualPod("a", 1)]));
    const empty = planAll(svc, store, []);
    store.apply(empty);
    assert.deepEqual(store.list().map((s) => [s.addressType, s.endpoints.length]), [["IPv4", 0]]);
    store.apply(planAll(svc, store, [dualPod("a", 1)]));
    assert.equal(store.list().length, 2);
    const single = testService({ ipFamilies: ["IPv4"] });
    const down = planAll(single, store, [dualPod("a", 1)]);
    assert.deepEqual(down.delete.map((s) => s.addressType), ["IPv6"]);
    assert.deepEqual([down.create.length, down.update.length], [0, 0]);
  });
});
