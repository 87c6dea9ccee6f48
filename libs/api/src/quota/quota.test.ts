// Unit tests of the quota library: resource-list arithmetic and what each kind is charged.
import assert from "node:assert/strict";
import { test } from "node:test";
import { kindFor } from "../kinds.js";
import { objectCountName, quotaEvaluatorFor, quotaMatches } from "./evaluators.js";
import { addResources, exceededResources, prettyPrintResources, resourcesEqual, subtractNonNegative } from "./resource-list.js";

test("resource lists add, subtract (never below zero), compare across formats and print sorted", () => {
  assert.deepEqual(addResources({ cpu: "500m", pods: "1" }, { cpu: "1", memory: "1Gi" }), { cpu: "1500m", pods: "1", memory: "1Gi" });
  assert.deepEqual(subtractNonNegative({ cpu: "1" }, { cpu: "1500m", pods: "1" }), { cpu: "0", pods: "0" });
  assert.ok(resourcesEqual({ memory: "1Gi" }, { memory: "1073741824" }));
  assert.ok(!resourcesEqual({ memory: "1Gi" }, { memory: "1Gi", pods: "0" }));
  assert.deepEqual(exceededResources({ pods: "3", cpu: "1" }, { pods: "2", cpu: "2", memory: "1" }), ["pods"]);
  assert.equal(prettyPrintResources({ pods: "2", "limits.memory": "1Gi", cpu: "1000m" }), "cpu=1,limits.memory=1Gi,pods=2");
});

test("services are charged node ports and load balancers by type; claims their storage, also per class", () => {
  const services = kindFor("v1", "Service")!;
  const svc = (type: string) => services.codec.fromJSON({ apiVersion: "v1", kind: "Service", metadata: { name: "s" }, spec: { type, ports: [{ port: 80 }, { port: 443 }] } });
  const evaluator = quotaEvaluatorFor(services);
  assert.deepEqual(evaluator.usage(svc("LoadBalancer")), { services: "1", "count/services": "1", "services.nodeports": "2", "services.loadbalancers": "1" });
  assert.equal(evaluator.usage(svc("ClusterIP"))["services.nodeports"], "0");
  const claims = kindFor("v1", "PersistentVolumeClaim")!;
  const pvc = claims.codec.fromJSON({ apiVersion: "v1", kind: "PersistentVolumeClaim", metadata: { name: "c" }, spec: { storageClassName: "gold", resources: { requests: { storage: "5Gi" } } } });
  assert.deepEqual(quotaEvaluatorFor(claims).usage(pvc), {
    persistentvolumeclaims: "1",
    "count/persistentvolumeclaims": "1",
    "requests.storage": "5Gi",
    "gold.storageclass.storage.k8s.io/persistentvolumeclaims": "1",
    "gold.storageclass.storage.k8s.io/requests.storage": "5Gi",
  });
});

test("other kinds are counted as count/<resource>.<group> on create only; a quota applies once status.hard names one of its resources", () => {
  const jobs = kindFor("batch/v1", "Job")!;
  assert.equal(objectCountName(jobs), "count/jobs.batch");
  const evaluator = quotaEvaluatorFor(jobs);
  assert.ok(evaluator.handles("CREATE") && !evaluator.handles("UPDATE"));
  const quotas = kindFor("v1", "ResourceQuota")!;
  const quota = (status: Record<string, unknown>) =>
    quotas.codec.fromJSON({ apiVersion: "v1", kind: "ResourceQuota", metadata: { name: "q" }, spec: { hard: { "count/jobs.batch": "1" } }, status }) as never;
  const job = jobs.codec.fromPartial({ apiVersion: "batch/v1", kind: "Job", metadata: { name: "j" } });
  assert.equal(quotaMatches(quota({}), evaluator, job), false);
  assert.equal(quotaMatches(quota({ hard: { "count/jobs.batch": "1" } }), evaluator, job), true);
});
