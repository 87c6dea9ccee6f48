// Unit tests for spec validation of pods, workloads, services and the smaller kinds, on create and update (objects are defaulted first).
import assert from "node:assert/strict";
import { test } from "node:test";
import { validateObject } from "./index.js";
import { validateStatusUpdate } from "./status.js";
import { cronScheduleProblem } from "./cron.js";
import { kindInfo, manifest, pairs, template } from "./test-support.js";

const meta = { name: "web", namespace: "default" };
const pod = (spec: Record<string, unknown>) => manifest({ apiVersion: "v1", kind: "Pod", metadata: meta, spec });
const deployment = (spec: Record<string, unknown>) => manifest({ apiVersion: "apps/v1", kind: "Deployment", metadata: meta, spec });
const PodKind = kindInfo("v1", "Pod");
const DeploymentKind = kindInfo("apps/v1", "Deployment");

test("a valid pod has no errors", () => {
  const p = pod({
    containers: [{ name: "web", image: "nginx:1.27", ports: [{ name: "http", containerPort: 80 }], env: [{ name: "A_B", value: "1" }], volumeMounts: [{ name: "data", mountPath: "/data" }], readinessProbe: { httpGet: { port: "http" } }, resources: { requests: { cpu: "100m" }, limits: { cpu: "1" } } }],
    volumes: [{ name: "data", emptyDir: {} }],
    tolerations: [{ key: "k", operator: "Exists", effect: "NoSchedule" }],
  });
  assert.deepEqual(validateObject(PodKind, p), []);
});

test("a pod with two errors returns both", () => {
  const p = pod({ containers: [{ name: "Web", image: "" }] });
  assert.deepEqual(pairs(validateObject(PodKind, p)), ["spec.containers[0].name FieldValueInvalid", "spec.containers[0].image FieldValueRequired"]);
});

test("pod spec rules report the exact field and type", () => {
  const cases: [Record<string, unknown>, string[]][] = [
    [{ containers: [] }, ["spec.containers FieldValueRequired"]],
    [{ containers: [{ name: "a", image: "x" }], initContainers: [{ name: "a", image: "x" }] }, ["spec.containers[0].name FieldValueDuplicate"]],
    [{ containers: [{ name: "a", image: "x", ports: [{ containerPort: 70000, protocol: "ICMP" }] }] }, ["spec.containers[0].ports[0].containerPort FieldValueInvalid", "spec.containers[0].ports[0].protocol FieldValueNotSupported"]],
    [{ containers: [{ name: "a", image: "x", env: [{ name: "1A" }] }] }, ["spec.containers[0].env[0].name FieldValueInvalid"]],
    [{ containers: [{ name: "a", image: "x", resources: { requests: { cpu: "2" }, limits: { cpu: "1" } } }] }, ["spec.containers[0].resources.requests[cpu] FieldValueInvalid"]],
    [{ containers: [{ name: "a", image: "x", resources: { limits: { memory: "1 Gi" } } }] }, ["spec.containers[0].resources.limits[memory] FieldValueInvalid", "spec.containers[0].resources.requests[memory] FieldValueInvalid"]],
    [{ containers: [{ name: "a", image: "x", volumeMounts: [{ name: "nope", mountPath: "/x" }] }] }, ["spec.containers[0].volumeMounts[0].name FieldValueNotSupported"]],
    [{ containers: [{ name: "a", image: "x" }], volumes: [{ name: "v", emptyDir: {}, secret: { secretName: "s" } }] }, ["spec.volumes[0].secret FieldValueForbidden"]],
    [{ containers: [{ name: "a", image: "x", livenessProbe: { exec: { command: ["true"] }, tcpSocket: { port: "80" } } }] }, ["spec.containers[0].livenessProbe.tcpSocket FieldValueForbidden"]],
    [{ containers: [{ name: "a", image: "x", readinessProbe: { httpGet: { port: "0" } } }] }, ["spec.containers[0].readinessProbe.httpGet.port FieldValueInvalid"]],
    [{ containers: [{ name: "a", image: "x" }], restartPolicy: "Sometimes", dnsPolicy: "Custom" }, ["spec.restartPolicy FieldValueNotSupported", "spec.dnsPolicy FieldValueNotSupported"]],
    [{ containers: [{ name: "a", image: "x" }], dnsPolicy: "None" }, ["spec.dnsConfig.nameservers FieldValueRequired"]],
    [
      { containers: [{ name: "a", image: "x" }], dnsConfig: { nameservers: ["1.1.1.1", "1.0.0.1", "8.8.8.8", "nope"], searches: ["ok.example.", "Bad_Name"], options: [{ name: "" }, { name: "ndots", value: "2" }] } },
      ["spec.dnsConfig.nameservers FieldValueInvalid", "spec.dnsConfig.nameservers[3] FieldValueInvalid", "spec.dnsConfig.searches[1] FieldValueInvalid", "spec.dnsConfig.options[0] FieldValueRequired"],
    ],
    [{ containers: [{ name: "a", image: "x" }], dnsConfig: { searches: Array.from({ length: 33 }, (_, i) => `s${i}.example`) } }, ["spec.dnsConfig.searches FieldValueInvalid"]],
    [{ containers: [{ name: "a", image: "x" }], hostname: "db_0", subdomain: "Db" }, ["spec.hostname FieldValueInvalid", "spec.subdomain FieldValueInvalid"]],
    [{ containers: [{ name: "a", image: "x" }], tolerations: [{ key: "k", operator: "Exists", value: "v" }] }, ["spec.tolerations[0].operator FieldValueInvalid"]],
    [{ containers: [{ name: "a", image: "x" }], affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: {} }] } } }, ["spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey FieldValueRequired"]],
    [{ containers: [{ name: "a", image: "x" }], topologySpreadConstraints: [{ maxSkew: 0, topologyKey: "zone", whenUnsatisfiable: "Maybe" }] }, ["spec.topologySpreadConstraints[0].maxSkew FieldValueInvalid", "spec.topologySpreadConstraints[0].whenUnsatisfiable FieldValueNotSupported"]],
    [{ containers: [{ name: "a", image: "x" }], nodeSelector: { "a b": "c" }, terminationGracePeriodSeconds: -1 }, ["spec.nodeSelector FieldValueInvalid", "spec.terminationGracePeriodSeconds FieldValueInvalid"]],
  ];
  for (const [spec, expected] of cases) assert.deepEqual(pairs(validateObject(PodKind, pod(spec))), expected, JSON.stringify(spec));
});

test("a pod update may change images but not other fields", () => {
  const old = pod({ containers: [{ name: "a", image: "nginx:1" }] });
  assert.deepEqual(validateObject(PodKind, pod({ containers: [{ name: "a", image: "nginx:2" }] }), old), []);
  const errs = validateObject(PodKind, pod({ containers: [{ name: "a", image: "nginx:1", args: ["x"] }] }), old);
  assert.deepEqual(pairs(errs), ["spec FieldValueForbidden"]);
  assert.match(errs[0]?.detail ?? "", /^pod updates may not change fields other than/);
});

test("a valid Deployment has no errors", () => {
  assert.deepEqual(validateObject(DeploymentKind, deployment({ selector: { matchLabels: { app: "web" } }, template: template({ app: "web" }) })), []);
});

test("a Deployment whose selector does not match its template is invalid at the template labels", () => {
  const errs = validateObject(DeploymentKind, deployment({ selector: { matchLabels: { app: "web" } }, template: template({ app: "api" }) }));
  assert.deepEqual(pairs(errs), ["spec.template.metadata.labels FieldValueInvalid"]);
  assert.equal(errs[0]?.detail, "selector does not match template labels");
});

test("Deployment spec rules: selector, replicas, strategy, template restartPolicy", () => {
  const cases: [Record<string, unknown>, string[]][] = [
    [{ template: template({ app: "web" }) }, ["spec.selector FieldValueRequired"]],
    [{ selector: {}, template: template({ app: "web" }) }, ["spec.selector FieldValueInvalid"]],
    [{ replicas: -1, selector: { matchLabels: { app: "web" } }, template: template({ app: "web" }) }, ["spec.replicas FieldValueInvalid"]],
    [{ selector: { matchLabels: { app: "web" } }, template: template({ app: "web" }, "Never") }, ["spec.template.spec.restartPolicy FieldValueNotSupported"]],
    [{ selector: { matchLabels: { app: "web" } }, template: template({ app: "web" }), strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "0", maxUnavailable: "0%" } } }, ["spec.strategy.rollingUpdate.maxUnavailable FieldValueInvalid"]],
    [{ selector: { matchLabels: { app: "web" } }, template: template({ app: "web" }), strategy: { type: "Recreate", rollingUpdate: { maxSurge: "1" } } }, ["spec.strategy.rollingUpdate FieldValueForbidden"]],
    [{ selector: { matchLabels: { app: "web" } }, template: template({ app: "web" }), strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "x", maxUnavailable: "1" } } }, ["spec.strategy.rollingUpdate.maxSurge FieldValueInvalid"]],
  ];
  for (const [spec, expected] of cases) assert.deepEqual(pairs(validateObject(DeploymentKind, deployment(spec))), expected, JSON.stringify(spec));
});

test("an update changing a Deployment selector is invalid: field is immutable", () => {
  const old = deployment({ selector: { matchLabels: { app: "web" } }, template: template({ app: "web", v: "1" }) });
  const now = deployment({ selector: { matchLabels: { app: "web", v: "1" } }, template: template({ app: "web", v: "1" }) });
  const errs = validateObject(DeploymentKind, now, old);
  assert.deepEqual(pairs(errs), ["spec.selector FieldValueInvalid"]);
  assert.equal(errs[0]?.detail, "field is immutable");
});

test("a StatefulSet update may scale but not change serviceName", () => {
  const k = kindInfo("apps/v1", "StatefulSet");
  const sts = (replicas: number, serviceName: string) =>
    manifest({ apiVersion: "apps/v1", kind: "StatefulSet", metadata: meta, spec: { replicas, serviceName, selector: { matchLabels: { app: "db" } }, template: template({ app: "db" }) } });
  assert.deepEqual(validateObject(k, sts(3, "db"), sts(1, "db")), []);
  assert.deepEqual(pairs(validateObject(k, sts(1, "other"), sts(1, "db"))), ["spec FieldValueForbidden"]);
});

test("a Job template must restart OnFailure or Never and its template is immutable", () => {
  const k = kindInfo("batch/v1", "Job");
  const job = (restartPolicy: string | undefined, image = "busybox:1") =>
    manifest({ apiVersion: "batch/v1", kind: "Job", metadata: meta, spec: { template: { spec: { ...(restartPolicy ? { restartPolicy } : {}), containers: [{ name: "a", image }] } } } });
  assert.deepEqual(validateObject(k, job("Never")), []);
  assert.deepEqual(pairs(validateObject(k, job("Always"))), ["spec.template.spec.restartPolicy FieldValueNotSupported"]);
  assert.deepEqual(pairs(validateObject(k, job(undefined))), ["spec.template.spec.restartPolicy FieldValueNotSupported"]);
  assert.deepEqual(pairs(validateObject(k, job("Never", "busybox:2"), job("Never"))), ["spec.template FieldValueInvalid"]);
});

test("CronJob schedules accept macros, ranges, steps and names, and reject the rest", () => {
  for (const ok of ["*/5 * * * *", "@hourly", "0 9-17/2 * JAN-MAR mon,fri", "15 3 1 * ?"]) assert.equal(cronScheduleProblem(ok), undefined, ok);
  for (const bad of ["* * * *", "60 * * * *", "@sometimes", "5-1 * * * *"]) assert.notEqual(cronScheduleProblem(bad), undefined, bad);
  const k = kindInfo("batch/v1", "CronJob");
  const cj = manifest({ apiVersion: "batch/v1", kind: "CronJob", metadata: meta, spec: { schedule: "61 * * * *", concurrencyPolicy: "Sometimes", jobTemplate: { spec: { template: template({}, "OnFailure") } } } });
  assert.deepEqual(pairs(validateObject(k, cj)), ["spec.schedule FieldValueInvalid", "spec.concurrencyPolicy FieldValueNotSupported"]);
});

test("Service rules: ports, names, types, clusterIP, and clusterIP immutability", () => {
  const k = kindInfo("v1", "Service");
  const svc = (spec: Record<string, unknown>) => manifest({ apiVersion: "v1", kind: "Service", metadata: meta, spec });
  assert.deepEqual(validateObject(k, svc({ selector: { app: "web" }, ports: [{ port: 80 }] })), []);
  assert.deepEqual(validateObject(k, svc({ type: "ExternalName", externalName: "db.example.com" })), []);
  assert.deepEqual(pairs(validateObject(k, svc({ ports: [] }))), ["spec.ports FieldValueRequired"]);
  assert.deepEqual(pairs(validateObject(k, svc({ ports: [{ port: 80 }, { port: 80, name: "b" }] }))), ["spec.ports[0].name FieldValueRequired", "spec.ports[1] FieldValueDuplicate"]);
  assert.deepEqual(pairs(validateObject(k, svc({ type: "Weird", clusterIP: "1.2.3", sessionAffinity: "Sticky", ports: [{ port: 0 }] }))), [
    "spec.type FieldValueNotSupported",
    "spec.sessionAffinity FieldValueNotSupported",
    "spec.clusterIP FieldValueInvalid",
    "spec.ports[0].port FieldValueInvalid",
    "spec.ports[0].targetPort FieldValueInvalid",
  ]);
  assert.deepEqual(pairs(validateObject(k, svc({ type: "ExternalName" }))), ["spec.externalName FieldValueRequired"]);
  const errs = validateObject(k, svc({ clusterIP: "10.0.0.2", ports: [{ port: 80 }] }), svc({ clusterIP: "10.0.0.1", ports: [{ port: 80 }] }));
  assert.deepEqual(pairs(errs), ["spec.clusterIP FieldValueInvalid"]);
  const badName = manifest({ apiVersion: "v1", kind: "Service", metadata: { name: "1web", namespace: "default" }, spec: { ports: [{ port: 80 }] } });
  assert.deepEqual(pairs(validateObject(k, badName)), ["metadata.name FieldValueInvalid"]);
});

test("ConfigMap and Secret: key syntax, data/binaryData overlap, base64, and immutable data", () => {
  const cmKind = kindInfo("v1", "ConfigMap");
  const cm = (extra: Record<string, unknown>) => manifest({ apiVersion: "v1", kind: "ConfigMap", metadata: meta, ...extra });
  assert.deepEqual(pairs(validateObject(cmKind, cm({ data: { "a b": "1", k: "v" }, binaryData: { k: "AA==" } }))), ["data FieldValueInvalid", "binaryData[k] FieldValueInvalid"]);
  assert.deepEqual(pairs(validateObject(cmKind, cm({ immutable: true, data: { k: "2" } }), cm({ immutable: true, data: { k: "1" } }))), ["data FieldValueForbidden"]);
  const secretKind = kindInfo("v1", "Secret");
  const secret = manifest({ apiVersion: "v1", kind: "Secret", metadata: meta, data: { ok: "aGk=" }, type: "kubernetes.io/tls" });
  assert.deepEqual(pairs(validateObject(secretKind, secret)), ["data[tls.crt] FieldValueRequired", "data[tls.key] FieldValueRequired"]);
});

test("the smaller kinds enforce their required fields", () => {
  const cluster = { name: "x" };
  const checks: [Record<string, unknown>, string[]][] = [
    [{ apiVersion: "v1", kind: "Node", metadata: cluster, spec: { taints: [{ key: "k" }] } }, ["spec.taints[0].effect FieldValueRequired"]],
    [{ apiVersion: "v1", kind: "Event", metadata: meta, reason: "X" }, ["involvedObject FieldValueRequired"]],
    [{ apiVersion: "v1", kind: "PersistentVolumeClaim", metadata: meta, spec: {} }, ["spec.accessModes FieldValueRequired", "spec.resources.requests[storage] FieldValueRequired"]],
    [{ apiVersion: "v1", kind: "PersistentVolume", metadata: cluster, spec: { accessModes: ["ReadWriteOnce"], capacity: { storage: "1Gi" } } }, ["spec FieldValueRequired"]],
    [{ apiVersion: "discovery.k8s.io/v1", kind: "EndpointSlice", metadata: meta, addressType: "IPv4", endpoints: [{ addresses: ["fe80::1"] }] }, ["endpoints[0].addresses[0] FieldValueInvalid"]],
    [{ apiVersion: "networking.k8s.io/v1", kind: "Ingress", metadata: meta, spec: { rules: [{ http: { paths: [{ path: "/", backend: { service: { name: "web", port: { number: 80 } } } }] } }] } }, ["spec.rules[0].http.paths[0].pathType FieldValueRequired"]],
    [{ apiVersion: "autoscaling/v2", kind: "HorizontalPodAutoscaler", metadata: meta, spec: { scaleTargetRef: { kind: "Deployment" }, minReplicas: 3, maxReplicas: 2 } }, ["spec.scaleTargetRef.name FieldValueRequired", "spec.maxReplicas FieldValueInvalid"]],
    [{ apiVersion: "scheduling.k8s.io/v1", kind: "PriorityClass", metadata: cluster, value: 2000000000 }, ["value FieldValueForbidden"]],
    [{ apiVersion: "storage.k8s.io/v1", kind: "StorageClass", metadata: cluster }, ["provisioner FieldValueRequired"]],
    [{ apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: meta, spec: { leaseDurationSeconds: 0 } }, ["spec.leaseDurationSeconds FieldValueInvalid"]],
  ];
  for (const [json, expected] of checks) {
    const obj = manifest(json);
    assert.deepEqual(pairs(validateObject(kindInfo(String(json.apiVersion), String(json.kind)), obj)), expected, String(json.kind));
  }
});

test("status updates check the pod phase and condition statuses and keep metadata immutable", () => {
  const old = pod({ containers: [{ name: "a", image: "x" }] });
  const now = manifest({ apiVersion: "v1", kind: "Pod", metadata: { name: "other", namespace: "default" }, spec: { containers: [{ name: "a", image: "x" }] }, status: { phase: "Sleeping", conditions: [{ type: "Ready", status: "Yes" }] } });
  assert.deepEqual(pairs(validateStatusUpdate(PodKind, now, old)), ["metadata.name FieldValueInvalid", "status.phase FieldValueNotSupported", "status.conditions[0].status FieldValueNotSupported"]);
});
