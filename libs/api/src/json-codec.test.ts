// The schema-driven JSON codec reads Kubernetes manifests strictly and writes them back as Kubernetes prints them.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { FieldError } from "./field-errors.js";
import type { ControllerRevision } from "./gen/kubeplane/apps/v1/controller_revision.js";
import { Scale } from "./gen/kubeplane/autoscaling/v2/scale.js";
import { Binding } from "./gen/kubeplane/core/v1/pod.js";
import { decodeJson, decodeMessageJson, encodeJson, encodeMessageJson, UnknownMessageTypeError } from "./json-codec.js";
import { kindFor, kindsList, type ApiObject, type KindInfo } from "./kinds.js";

function kind(apiVersion: string, name: string): KindInfo {
  const info = kindFor(apiVersion, name);
  assert.ok(info, `${apiVersion} ${name}`);
  return info;
}

const deploymentKind = kind("apps/v1", "Deployment");
const serviceKind = kind("v1", "Service");
const podKind = kind("v1", "Pod");

/** Decodes `json`, failing the test with every field error if there is one. */
function decoded(info: KindInfo, json: unknown): ApiObject {
  const { object, errors } = decodeJson(info, json);
  assert.deepEqual(errors, []);
  assert.ok(object);
  return object;
}

// A Deployment as written by hand: numeric and percent IntOrStrings, numeric and named probe ports, `cpu: 1`.
function deploymentManifest(cpu: unknown): Record<string, unknown> {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web", namespace: "shop", labels: { app: "web" } },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: "web" } },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: "25%", maxSurge: 1 } },
      template: {
        metadata: { labels: { app: "web" } },
        spec: {
          containers: [
            {
              name: "web",
              image: "registry.example.com/shop/web:2.4.1",
              ports: [
                { name: "http", containerPort: 8080, protocol: "TCP" },
                { name: "metrics", containerPort: 9090, protocol: "TCP" },
              ],
              resources: { limits: { cpu: "2", memory: "512Mi" }, requests: { cpu, memory: "256Mi" } },
              readinessProbe: { httpGet: { path: "/ready", port: "http", scheme: "HTTP" }, periodSeconds: 10 },
              livenessProbe: { tcpSocket: { port: 8080 }, initialDelaySeconds: 15 },
            },
          ],
          terminationGracePeriodSeconds: 30,
        },
      },
      revisionHistoryLimit: 10,
    },
  };
}

const service = {
  apiVersion: "v1",
  kind: "Service",
  metadata: { name: "web", namespace: "shop" },
  spec: {
    ports: [
      { name: "http", protocol: "TCP", port: 80, targetPort: 8080 },
      { name: "metrics", protocol: "TCP", port: 9090, targetPort: "metrics" },
    ],
    selector: { app: "web" },
    clusterIP: "10.96.14.7",
    type: "ClusterIP",
  },
  status: { loadBalancer: {} },
};

const pod = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "worker", namespace: "batch", labels: { app: "worker" } },
  spec: {
    containers: [
      {
        name: "worker",
        image: "busybox:1.36",
        command: ["sh", "-c", "sleep 3600"],
        env: [{ name: "MEMORY_LIMIT", valueFrom: { resourceFieldRef: { resource: "limits.memory", divisor: "1Mi" } } }],
        resources: { limits: { memory: "1Gi", "ephemeral-storage": "2Gi" }, requests: { cpu: "250m" } },
        volumeMounts: [{ name: "scratch", mountPath: "/scratch" }],
        startupProbe: { httpGet: { path: "/healthz", port: 8081 }, failureThreshold: 30 },
      },
    ],
    volumes: [{ name: "scratch", emptyDir: { sizeLimit: "500Mi" } }],
    restartPolicy: "OnFailure",
  },
};

test("a Deployment decodes and re-encodes JSON-identical, numeric IntOrStrings staying numbers", () => {
  const manifest = deploymentManifest("500m");
  assert.deepEqual(encodeJson(deploymentKind, decoded(deploymentKind, manifest)), manifest);
});

test("`cpu: 1` in a manifest is the quantity \"1\"", () => {
  const object = decoded(deploymentKind, deploymentManifest(1));
  assert.deepEqual(encodeJson(deploymentKind, object), deploymentManifest("1"));
});

test("a Service keeps a numeric targetPort a number and a named one a string", () => {
  const object = decoded(serviceKind, service);
  const encoded = encodeJson(serviceKind, object);
  assert.deepEqual(encoded, service);
  const ports = (encoded.spec as { ports: { targetPort: unknown }[] }).ports;
  assert.equal(ports[0]?.targetPort, 8080);
  assert.equal(ports[1]?.targetPort, "metrics");
});

test("a Pod with quantities in resources, a divisor and an emptyDir sizeLimit round-trips", () => {
  assert.deepEqual(encodeJson(podKind, decoded(podKind, pod)), pod);
});

test("encoding prints apiVersion, kind, metadata, spec and status first", () => {
  const object = decoded(serviceKind, { status: {}, spec: { type: "ClusterIP" }, metadata: { name: "a" }, kind: "Service" });
  assert.deepEqual(Object.keys(encodeJson(serviceKind, object)), ["apiVersion", "kind", "metadata", "spec", "status"]);
});

test("one decode reports every unknown field, wrong type, float integer and bad apiVersion with its path", () => {
  const manifest = deploymentManifest("500m");
  manifest.apiVersion = "apps/v1beta1";
  const spec = manifest.spec as Record<string, unknown>;
  spec.replicas = "3";
  spec.paused = "yes";
  const metadata = manifest.metadata as { labels: Record<string, unknown> };
  metadata.labels.tier = 2;
  const container = (spec.template as { spec: { containers: Record<string, unknown>[] } }).spec.containers[0];
  assert.ok(container);
  container.imagePullPolicyy = "Always";
  (container.ports as Record<string, unknown>[])[1] = { name: "metrics", containerPort: 9090.5 };
  container.args = "--verbose";
  (container.resources as { requests: Record<string, unknown> }).requests.memory = "lots";

  const { object, errors } = decodeJson(deploymentKind, manifest);
  assert.equal(object, undefined);
  const expected: FieldError[] = [
    { type: "FieldValueInvalid", field: "apiVersion", value: "apps/v1beta1", detail: 'must be "apps/v1"' },
    { type: "FieldValueTypeInvalid", field: "metadata.labels[tier]", value: 2, detail: "expected string" },
    { type: "FieldValueTypeInvalid", field: "spec.replicas", value: "3", detail: "expected integer" },
    { type: "FieldValueTypeInvalid", field: "spec.template.spec.containers[0].ports[1].containerPort", value: 9090.5, detail: "expected integer" },
    {
      type: "FieldValueInvalid",
      field: "spec.template.spec.containers[0].resources.requests[memory]",
      value: "lots",
      detail: "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
    },
    { type: "FieldValueUnknown", field: "spec.template.spec.containers[0].imagePullPolicyy", detail: "field not declared in schema" },
    { type: "FieldValueTypeInvalid", field: "spec.template.spec.containers[0].args", value: "--verbose", detail: "expected array" },
    { type: "FieldValueTypeInvalid", field: "spec.paused", value: "yes", detail: "expected boolean" },
  ];
  assert.deepEqual(errors, expected);
});

test("a wrong kind, an int32 out of range and a fractional IntOrString are errors", () => {
  const { errors } = decodeJson(serviceKind, {
    kind: "Pod",
    spec: { ports: [{ port: 2 ** 31, targetPort: 80.5 }], sessionAffinity: ["None"] },
  });
  assert.deepEqual(
    errors.map((e) => [e.type, e.field]),
    [
      ["FieldValueInvalid", "kind"],
      ["FieldValueInvalid", "spec.ports[0].port"],
      ["FieldValueTypeInvalid", "spec.ports[0].targetPort"],
      ["FieldValueTypeInvalid", "spec.sessionAffinity"],
    ],
  );
});

test("a manifest that is not an object is one type error", () => {
  assert.deepEqual(decodeJson(podKind, [pod]).errors, [{ type: "FieldValueTypeInvalid", field: "", value: [pod], detail: "expected object" }]);
});

test("null fields, map values and list items are accepted as absent", () => {
  const object = decoded(deploymentKind, {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web", creationTimestamp: null, labels: { app: "web", tier: null }, annotations: null },
    spec: {
      replicas: null,
      selector: { matchLabels: { app: "web" } },
      strategy: null,
      template: {
        metadata: { creationTimestamp: null, labels: { app: "web" } },
        spec: { containers: [{ name: "web", image: "nginx", resources: {}, args: null }, null] },
      },
    },
    status: null,
  });
  assert.deepEqual(encodeJson(deploymentKind, object), {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web", labels: { app: "web" } },
    spec: {
      selector: { matchLabels: { app: "web" } },
      template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "web", image: "nginx", resources: {} }] } },
    },
  });
});

test("arbitrary JSON in a Struct field is kept as given, explicit nulls included, and not shared with the input", () => {
  const info = kind("apps/v1", "ControllerRevision");
  const data = { spec: { template: { metadata: { creationTimestamp: null } } }, anything: [1, "two", { three: true }] };
  const json = { apiVersion: "apps/v1", kind: "ControllerRevision", metadata: { name: "web-1" }, data, revision: 1 };
  const object = decoded(info, json) as ControllerRevision;
  assert.deepEqual(object.data, data);
  assert.notEqual(object.data, data);
  assert.deepEqual(encodeJson(info, object), json);
  assert.deepEqual(decodeJson(info, { data: "text" }).errors.map((e) => e.field), ["data"]);
});

test("every kind round-trips a minimal object, apiVersion and kind filled in when missing", () => {
  for (const info of kindsList) {
    const expected = { apiVersion: info.apiVersion, kind: info.kind, metadata: { name: "minimal" } };
    assert.deepEqual(encodeJson(info, decoded(info, { metadata: { name: "minimal" } })), expected, info.kind);
    assert.deepEqual(encodeJson(info, decoded(info, expected)), expected, info.kind);
  }
});

test("non-kind messages (Binding, Scale) decode strictly and encode like kinds", () => {
  const binding = { apiVersion: "v1", kind: "Binding", metadata: { name: "web-0", namespace: "shop" }, target: { kind: "Node", name: "node-1" } };
  const { object, errors } = decodeMessageJson("kubeplane.core.v1.Binding", Binding, binding);
  assert.deepEqual(errors, []);
  assert.ok(object);
  assert.deepEqual(encodeMessageJson("kubeplane.core.v1.Binding", Binding, object), binding);

  const scale = decodeMessageJson("kubeplane.autoscaling.v2.Scale", Scale, { spec: { replicas: 1.5 }, extra: 1 });
  assert.equal(scale.object, undefined);
  assert.deepEqual(scale.errors.map((e) => [e.type, e.field]), [
    ["FieldValueTypeInvalid", "spec.replicas"],
    ["FieldValueUnknown", "extra"],
  ]);
});

test("decoding never modifies its input", () => {
  const manifest = deploymentManifest(1);
  const before = structuredClone(manifest);
  decodeJson(deploymentKind, manifest);
  assert.deepEqual(manifest, before);
});

test("a type name missing from the descriptors is a programming error", () => {
  assert.throws(() => decodeMessageJson("kubeplane.core.v1.Nope", Binding, {}), UnknownMessageTypeError);
});

test("every Quantity field accepts a YAML number and keeps its decimal text", () => {
  const cases: [KindInfo, Record<string, unknown>, string][] = [
    [kind("v1", "Node"), { status: { capacity: { cpu: 4, pods: 110 }, allocatable: { cpu: 3.5 } } }, "status.capacity.cpu"],
    [kind("v1", "PersistentVolume"), { spec: { capacity: { storage: 1024 } } }, "spec.capacity.storage"],
    [
      kind("v1", "PersistentVolumeClaim"),
      { spec: { resources: { requests: { storage: 1 }, limits: { storage: 2 } } }, status: { capacity: { storage: 1 }, allocatedResources: { storage: 1 } } },
      "status.allocatedResources.storage",
    ],
    [
      podKind,
      {
        spec: { overhead: { cpu: 0.25 }, containers: [{ name: "a", resources: { requests: { cpu: 0.5 } } }], volumes: [{ name: "v", emptyDir: { sizeLimit: 1000 } }] },
        status: { containerStatuses: [{ name: "a", allocatedResources: { cpu: 0.5 } }] },
      },
      "spec.volumes.0.emptyDir.sizeLimit",
    ],
    [
      kind("autoscaling/v2", "HorizontalPodAutoscaler"),
      {
        spec: {
          metrics: [{ type: "Pods", pods: { metric: { name: "qps" }, target: { type: "AverageValue", averageValue: 100 } } }],
          behavior: { scaleUp: { tolerance: 0.05 } },
        },
        status: { currentMetrics: [{ type: "Pods", pods: { metric: { name: "qps" }, current: { averageValue: 80, value: 800 } } }] },
      },
      "spec.behavior.scaleUp.tolerance",
    ],
  ];
  for (const [info, json, probe] of cases) {
    const encoded: unknown = encodeJson(info, decoded(info, json));
    const expected = JSON.parse(JSON.stringify(json, (_key, v: unknown) => (typeof v === "number" ? String(v) : v))) as Record<string, unknown>;
    assert.deepEqual(encoded, { apiVersion: info.apiVersion, kind: info.kind, ...expected }, info.kind);
    const value = probe.split(".").reduce<unknown>((v, key) => (v as Record<string, unknown>)[key], encoded);
    assert.equal(typeof value, "string", probe);
  }
});
