// A table of the strategies: which kind gets which rules from the one kind → strategy map.
import assert from "node:assert/strict";
import { test } from "node:test";
import { kindForResource, type ApiObject, type KindInfo } from "@kubeplane/api";
import { NodePortRange, ServiceIpRange } from "@kubeplane/storage";
import { ServiceAddresses } from "../service-addresses.js";
import { createStrategies, defaultStrategy } from "./index.js";

const strategyFor = createStrategies({
  addresses: new ServiceAddresses(new ServiceIpRange("10.96.0.0/12"), new NodePortRange(30000, 32767)),
  eventTtlSeconds: 3600,
});
const kind = (group: string, resource: string): KindInfo => kindForResource(group, resource)!;
const user = { user: { username: "alice", uid: "u-1", groups: ["team", "system:authenticated"] } };

function created(info: KindInfo, partial: Record<string, unknown>): ApiObject & Record<string, any> {
  const obj = info.codec.fromPartial({ metadata: { name: "x", namespace: "ns", uid: "uid-1" }, ...partial });
  strategyFor(info).prepareForCreate(info, obj, user);
  return obj as ApiObject & Record<string, any>;
}

const createRules: [string, KindInfo, Record<string, unknown>, (o: Record<string, any>) => void][] = [
  ["a Deployment's status is cleared", kind("apps", "deployments"), { status: { replicas: 3 } }, (o) => assert.equal(o.status, undefined)],
  ["a Service's status is cleared", kind("", "services"), { status: { loadBalancer: { ingress: [{ ip: "1.2.3.4" }] } } }, (o) => assert.equal(o.status, undefined)],
  ["a ConfigMap is left as sent", kind("", "configmaps"), { data: { a: "b" } }, (o) => assert.deepEqual(o.data, { a: "b" })],
  ["a Pod starts Pending with its QoS class", kind("", "pods"), { spec: { containers: [{ name: "c", resources: { limits: { cpu: "1", memory: "1Gi" } } }] } }, (o) => {
    assert.equal(o.status.phase, "Pending");
    assert.equal(o.status.qosClass, "Guaranteed");
  }],
  ["a Namespace starts Active with the namespace controller's finalizer", kind("", "namespaces"), {}, (o) => {
    assert.equal(o.status.phase, "Active");
    assert.deepEqual(o.spec.finalizers, ["kubernetes"]);
  }],
  ["a PVC starts Pending", kind("", "persistentvolumeclaims"), { status: { phase: "Bound" } }, (o) => assert.equal(o.status.phase, "Pending")],
  ["a Secret's stringData is merged into data", kind("", "secrets"), { data: { a: "eA==" }, stringData: { a: "y", b: "z" } }, (o) => {
    assert.deepEqual(o.data, { a: Buffer.from("y").toString("base64"), b: Buffer.from("z").toString("base64") });
    assert.deepEqual(o.stringData, {});
  }],
  ["a Job selects its pods by its uid", kind("batch", "jobs"), { spec: { template: { metadata: { labels: { app: "a" } } } } }, (o) => {
    assert.deepEqual(o.spec.selector.matchLabels, { "batch.kubernetes.io/controller-uid": "uid-1" });
    assert.equal(o.spec.template.metadata.labels["job-name"], "x");
    assert.equal(o.spec.template.metadata.labels.app, "a");
  }],
  ["a CSR's requester is the caller", kind("certificates.k8s.io", "certificatesigningrequests"), { spec: { username: "admin", groups: ["system:masters"] } }, (o) => {
    assert.equal(o.spec.username, "alice");
    assert.deepEqual(o.spec.groups, ["team", "system:authenticated"]);
  }],
];

for (const [name, info, partial, check] of createRules) test(`create: ${name}`, () => check(created(info, partial)));

test("delete: a bound, running pod gets its grace period; an unbound one and other kinds none", () => {
  const pods = kind("", "pods");
  const pods_ = strategyFor(pods);
  const bound = pods.codec.fromPartial({ spec: { nodeName: "n1", terminationGracePeriodSeconds: 12 }, status: { phase: "Running" } });
  assert.equal(pods_.gracePeriod(bound, undefined), 12);
  assert.equal(pods_.gracePeriod(bound, 3), 3);
  assert.equal(pods_.gracePeriod(pods.codec.fromPartial({ spec: {} }), undefined), 0);
  assert.equal(pods_.gracePeriod(pods.codec.fromPartial({ spec: { nodeName: "n1" }, status: { phase: "Succeeded" } }), undefined), 0);
  assert.equal(strategyFor(kind("", "configmaps")).gracePeriod(bound, 30), 0);
});

test("finalizers: a namespace's spec.finalizers hold it; a delete makes it Terminating", () => {
  const info = kind("", "namespaces");
  const ns = created(info, {});
  assert.ok(strategyFor(info).hasFinalizers(ns));
  assert.ok(!defaultStrategy.hasFinalizers(ns));
  strategyFor(info).prepareForDelete(ns);
  assert.equal(ns.status.phase, "Terminating");
});

test("validate: an object being deleted gets no new finalizers, whatever its kind", () => {
  const info = kind("", "configmaps");
  const old = info.codec.fromPartial({ metadata: { name: "x", deletionTimestamp: "2026-01-01T00:00:00Z", finalizers: ["a"] } });
  const next = info.codec.fromPartial({ metadata: { name: "x", finalizers: ["a", "b"] } });
  assert.deepEqual(strategyFor(info).validate(info, next, old).map((e) => e.field), ["metadata.finalizers"]);
  assert.deepEqual(strategyFor(info).validate(info, next, undefined), []);
});

test("reservations and TTL: Services reserve addresses, Events expire, other kinds neither", () => {
  assert.ok(strategyFor(kind("", "services")).reservations);
  assert.equal(strategyFor(kind("", "pods")).reservations, undefined);
  assert.equal(strategyFor(kind("", "events")).ttlSeconds(), 3600);
  assert.equal(strategyFor(kind("", "pods")).ttlSeconds(), undefined);
  const svc = kind("", "services").codec.fromPartial({ metadata: { name: "s", namespace: "ns" }, spec: { type: "NodePort", ports: [{ port: 80, protocol: "TCP" }] } });
  const plan = strategyFor(kind("", "services")).reservations!.plan(svc, undefined, new Set());
  assert.equal(plan.create.length, 2, "a ClusterIP and a NodePort");
});

test("update: a spec write keeps status and system metadata, and moves generation only on a spec change", () => {
  const info = kind("apps", "deployments");
  const old = info.codec.fromPartial({ metadata: { name: "d", uid: "u", generation: 4 }, spec: { replicas: 1 }, status: { replicas: 1 } });
  const same = info.codec.fromPartial({ metadata: { name: "d" }, spec: { replicas: 1 }, status: { replicas: 9 } }) as Record<string, any> & ApiObject;
  strategyFor(info).prepareForUpdate(info, same, old);
  assert.equal(same.metadata!.generation, 4);
  assert.equal(same.metadata!.uid, "u");
  assert.equal(same.status.replicas, 1);
  const scaled = info.codec.fromPartial({ metadata: { name: "d" }, spec: { replicas: 2 } });
  strategyFor(info).prepareForUpdate(info, scaled, old);
  assert.equal(scaled.metadata!.generation, 5);
});

test("warnings: a pod's nodeSelector on a deprecated node label warns as Kubernetes does, on an update only when added", () => {
  const info = kind("", "pods");
  const pod = (sel: Record<string, string>): ApiObject => info.codec.fromPartial({ metadata: { name: "p" }, spec: { nodeSelector: sel } });
  const selector = { "beta.kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64" };
  assert.deepEqual(strategyFor(info).warnings(pod(selector), undefined), ['spec.nodeSelector[beta.kubernetes.io/os]: deprecated since v1.14; use "kubernetes.io/os" instead']);
  assert.deepEqual(strategyFor(info).warnings(pod(selector), pod(selector)), []);
  assert.deepEqual(strategyFor(kind("", "configmaps")).warnings(pod(selector), undefined), []);
});
