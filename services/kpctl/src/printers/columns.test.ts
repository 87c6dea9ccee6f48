// Tests of kubectl's table columns, from realistic objects as the apiserver returns them.
import assert from "node:assert/strict";
import { test } from "node:test";
import { kindFor, type KindInfo, columnsFor } from "@kubeplane/api";
import type { JsonObject } from "@kubeplane/client";
import { renderTable } from "./table.js";

const now = new Date("2026-03-01T12:00:00Z");
const kind = (apiVersion: string, k: string): KindInfo => kindFor(apiVersion, k) as KindInfo;
const row = (info: KindInfo, obj: JsonObject, wide = false): string[] => {
  const c = columnsFor(info);
  return [...c.row(obj, now), ...(wide && c.wideRow ? c.wideRow(obj, now) : [])];
};
const headers = (info: KindInfo, wide = false): string[] => {
  const c = columnsFor(info);
  return [...c.headers, ...(wide ? (c.wideHeaders ?? []) : [])];
};

const pod: JsonObject = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "web-7d9c5-abcde", namespace: "default", creationTimestamp: "2026-03-01T11:56:48Z" },
  spec: {
    nodeName: "worker-1",
    containers: [
      { name: "app", image: "web:1.2" },
      { name: "sidecar", image: "envoy:1.30" },
      { name: "metrics", image: "exporter:0.9" },
    ],
  },
  status: {
    phase: "Running",
    podIP: "10.244.1.7",
    conditions: [{ type: "Ready", status: "False" }],
    containerStatuses: [
      { name: "app", ready: true, restartCount: 0, state: { running: { startedAt: "2026-03-01T11:57:00Z" } } },
      { name: "sidecar", ready: true, restartCount: 1, state: { running: {} }, lastState: { terminated: { exitCode: 1, finishedAt: "2026-03-01T11:55:00Z" } } },
      { name: "metrics", ready: false, restartCount: 2, state: { running: {} }, lastState: { terminated: { exitCode: 137, finishedAt: "2026-03-01T11:58:00Z" } } },
    ],
  },
};

test("a pod with 2 of 3 containers ready shows READY 2/3 and its restarts with the last one's age", () => {
  const info = kind("v1", "Pod");
  assert.deepEqual(headers(info, true), ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE", "NOMINATED NODE", "READINESS GATES"]);
  assert.deepEqual(row(info, pod, true), ["web-7d9c5-abcde", "2/3", "Running", "3 (2m ago)", "3m12s", "10.244.1.7", "worker-1", "<none>", "<none>"]);
});

test("a pod's STATUS is its most telling container state", () => {
  const info = kind("v1", "Pod");
  const crashing = structuredClone(pod);
  (crashing.status as { containerStatuses: unknown[] }).containerStatuses[2] = { name: "metrics", ready: false, restartCount: 4, state: { waiting: { reason: "CrashLoopBackOff" } } };
  assert.equal(row(info, crashing)[2], "CrashLoopBackOff");
  const deleting = { ...pod, metadata: { ...(pod.metadata as object), deletionTimestamp: "2026-03-01T11:59:00Z" } };
  assert.equal(row(info, deleting)[2], "Terminating");
  const pending = { apiVersion: "v1", kind: "Pod", metadata: { name: "p" }, spec: { containers: [{ name: "a" }] }, status: { phase: "Pending" } };
  assert.deepEqual(row(info, pending).slice(0, 4), ["p", "0/1", "Pending", "0"]);
});

test("a NodePort service shows its ports as 80:30080/TCP", () => {
  const info = kind("v1", "Service");
  const svc: JsonObject = {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "web", namespace: "default", creationTimestamp: "2026-02-27T09:00:00Z" },
    spec: { type: "NodePort", clusterIP: "10.96.12.34", selector: { app: "web" }, ports: [{ port: 80, targetPort: 8080, nodePort: 30080, protocol: "TCP" }, { port: 53, protocol: "UDP", nodePort: 30053 }] },
  };
  assert.deepEqual(headers(info, true), ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE", "SELECTOR"]);
  assert.deepEqual(row(info, svc, true), ["web", "NodePort", "10.96.12.34", "<none>", "80:30080/TCP,53:30053/UDP", "2d3h", "app=web"]);
  const lb = { ...svc, spec: { ...(svc.spec as object), type: "LoadBalancer" } };
  assert.equal(row(info, lb)[3], "<pending>");
});

test("an nginx deployment shows READY, UP-TO-DATE, AVAILABLE and, wide, its containers, images and selector", () => {
  const info = kind("apps/v1", "Deployment");
  const deploy: JsonObject = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "nginx", namespace: "default", creationTimestamp: "2026-03-01T11:59:55Z" },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: "nginx" } },
      template: { metadata: { labels: { app: "nginx" } }, spec: { containers: [{ name: "nginx", image: "nginx:1.27" }] } },
    },
    status: { replicas: 3, updatedReplicas: 3, readyReplicas: 2, availableReplicas: 2 },
  };
  assert.deepEqual(headers(info, true), ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE", "CONTAINERS", "IMAGES", "SELECTOR"]);
  assert.deepEqual(row(info, deploy, true), ["nginx", "2/3", "3", "2", "5s", "nginx", "nginx:1.27", "app=nginx"]);
});

test("nodes, namespaces, events, config maps and secrets have kubectl's columns", () => {
  const node: JsonObject = {
    metadata: { name: "cp-1", creationTimestamp: "2026-02-01T12:00:00Z", labels: { "node-role.kubernetes.io/control-plane": "" } },
    spec: { unschedulable: true },
    status: { conditions: [{ type: "Ready", status: "True" }], nodeInfo: { kubeletVersion: "v0.1.0" } },
  };
  assert.deepEqual(row(kind("v1", "Node"), node), ["cp-1", "Ready,SchedulingDisabled", "control-plane", "28d", "v0.1.0"]);
  assert.deepEqual(row(kind("v1", "Namespace"), { metadata: { name: "prod", creationTimestamp: "2026-03-01T11:00:00Z" }, status: { phase: "Active" } }), ["prod", "Active", "60m"]);
  const ev: JsonObject = { metadata: { name: "e1" }, type: "Warning", reason: "BackOff", message: "Back-off restarting failed container", involvedObject: { kind: "Pod", name: "web-0" }, lastTimestamp: "2026-03-01T11:59:30Z" };
  assert.deepEqual(headers(kind("v1", "Event")), ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]);
  assert.deepEqual(row(kind("v1", "Event"), ev), ["30s", "Warning", "BackOff", "pod/web-0", "Back-off restarting failed container"]);
  assert.deepEqual(row(kind("v1", "ConfigMap"), { metadata: { name: "cfg" }, data: { a: "1", b: "2" } }).slice(0, 2), ["cfg", "2"]);
  assert.deepEqual(row(kind("v1", "Secret"), { metadata: { name: "tls" }, type: "kubernetes.io/tls", data: { "tls.crt": "", "tls.key": "" } }).slice(0, 3), ["tls", "kubernetes.io/tls", "2"]);
});

test("workloads without their own printer columns fall back to NAME AGE only when kubectl does", () => {
  assert.deepEqual(headers(kind("apps/v1", "ReplicaSet")), ["NAME", "DESIRED", "CURRENT", "READY", "AGE"]);
  assert.deepEqual(headers(kind("apps/v1", "DaemonSet")), ["NAME", "DESIRED", "CURRENT", "READY", "UP-TO-DATE", "AVAILABLE", "NODE SELECTOR", "AGE"]);
  assert.deepEqual(headers(kind("apps/v1", "StatefulSet")), ["NAME", "READY", "AGE"]);
  assert.deepEqual(headers(kind("batch/v1", "Job")), ["NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE"]);
  assert.deepEqual(headers(kind("batch/v1", "CronJob")), ["NAME", "SCHEDULE", "TIMEZONE", "SUSPEND", "ACTIVE", "LAST SCHEDULE", "AGE"]);
  assert.deepEqual(headers(kind("v1", "Endpoints")), ["NAME", "ENDPOINTS", "AGE"]);
  assert.deepEqual(headers(kind("coordination.k8s.io/v1", "Lease")), ["NAME", "HOLDER", "AGE"]);
  assert.deepEqual(headers(kind("autoscaling/v2", "HorizontalPodAutoscaler")), ["NAME", "REFERENCE", "TARGETS", "MINPODS", "MAXPODS", "REPLICAS", "AGE"]);
  assert.deepEqual(headers(kind("v1", "PersistentVolumeClaim")), ["NAME", "STATUS", "VOLUME", "CAPACITY", "ACCESS MODES", "STORAGECLASS", "AGE"]);
  assert.deepEqual(headers(kind("v1", "ServiceAccount")), ["NAME", "SECRETS", "AGE"]);
});

test("a job shows completions and duration; a stateful set its ready count", () => {
  const job: JsonObject = {
    metadata: { name: "pi" },
    spec: { completions: 3 },
    status: { succeeded: 3, startTime: "2026-03-01T11:00:00Z", completionTime: "2026-03-01T11:00:42Z", conditions: [{ type: "Complete", status: "True" }] },
  };
  assert.deepEqual(row(kind("batch/v1", "Job"), job).slice(0, 4), ["pi", "Complete", "3/3", "42s"]);
  assert.deepEqual(row(kind("apps/v1", "StatefulSet"), { metadata: { name: "db" }, spec: { replicas: 3 }, status: { readyReplicas: 1 } }).slice(0, 2), ["db", "1/3"]);
});

test("tables align like kubectl's tabwriter, with NAMESPACE first for -A", () => {
  const info = kind("v1", "ConfigMap");
  const items: JsonObject[] = [
    { metadata: { name: "a", namespace: "default", creationTimestamp: "2026-03-01T11:59:00Z" }, data: { k: "v" } },
    { metadata: { name: "kube-root-ca.crt", namespace: "kube-system", creationTimestamp: "2026-03-01T11:00:00Z" }, data: {} },
  ];
  assert.equal(
    renderTable(items, columnsFor(info), { now, withNamespace: true }),
    [
      "NAMESPACE     NAME               DATA   AGE",
      "default       a                  1      60s",
      "kube-system   kube-root-ca.crt   0      60m",
      "",
    ].join("\n"),
  );
  assert.equal(renderTable(items.slice(0, 1), columnsFor(info), { now, noHeaders: true, namePrefix: "configmap/" }), "configmap/a   1     60s\n");
});
