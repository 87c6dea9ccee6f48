// Kubernetes JSON for core/v1 objects survives the generated JSON and binary codecs unchanged.
import assert from "node:assert/strict";
import { test } from "node:test";
import { getOption } from "@bufbuild/protobuf";
import { apiOptions, assertRoundTrips } from "./codec-test-support.js";
import { ConfigMap, Namespace, Secret, ServiceAccount } from "./gen/kubeplane/core/v1/config.js";
import { Event } from "./gen/kubeplane/core/v1/event.js";
import { Node } from "./gen/kubeplane/core/v1/node.js";
import { Binding, Pod } from "./gen/kubeplane/core/v1/pod.js";
import { Endpoints, Service } from "./gen/kubeplane/core/v1/service.js";
import { PersistentVolume, PersistentVolumeClaim } from "./gen/kubeplane/core/v1/volume.js";

// The Pod of the Kubernetes "Pods" concept page.
const nginxPod = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "nginx" },
  spec: { containers: [{ name: "nginx", image: "nginx:1.14.2", ports: [{ containerPort: 80 }] }] },
};

// As `kubectl get pod -o json` prints a running Deployment pod, except that
// `"lastProbeTime": null` is left out of the conditions (see the null test below).
const fullPod = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: {
    name: "web-6d4cf56db6-x7k2p",
    generateName: "web-6d4cf56db6-",
    namespace: "shop",
    uid: "5b1f7a3c-2d4e-4f60-8a9b-0c1d2e3f4a5b",
    resourceVersion: "918273",
    creationTimestamp: "2026-11-23T10:15:42Z",
    labels: { app: "web", "pod-template-hash": "6d4cf56db6" },
    annotations: { "kubectl.kubernetes.io/restartedAt": "2026-11-23T10:15:00Z" },
    ownerReferences: [
      {
        apiVersion: "apps/v1",
        kind: "ReplicaSet",
        name: "web-6d4cf56db6",
        uid: "9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d",
        controller: true,
        blockOwnerDeletion: true,
      },
    ],
  },
  spec: {
    initContainers: [
      {
        name: "migrate",
        image: "registry.example.com/shop/web:2.4.1",
        command: ["/app/migrate"],
        args: ["--wait", "--timeout=60s"],
        envFrom: [{ configMapRef: { name: "web-config" } }, { prefix: "DB_", secretRef: { name: "db", optional: true } }],
        resources: {},
        terminationMessagePath: "/dev/termination-log",
        terminationMessagePolicy: "File",
        imagePullPolicy: "IfNotPresent",
      },
    ],
    containers: [
      {
        name: "web",
        image: "registry.example.com/shop/web:2.4.1",
        workingDir: "/app",
        ports: [
          { name: "http", containerPort: 8080, protocol: "TCP" },
          { name: "metrics", containerPort: 9090, hostPort: 9090, protocol: "TCP", hostIP: "0.0.0.0" },
        ],
        env: [
          { name: "LOG_LEVEL", value: "info" },
          { name: "POD_NAME", valueFrom: { fieldRef: { apiVersion: "v1", fieldPath: "metadata.name" } } },
          {
            name: "MEMORY_LIMIT",
            valueFrom: { resourceFieldRef: { containerName: "web", resource: "limits.memory", divisor: "1Mi" } },
          },
          { name: "FEATURES", valueFrom: { configMapKeyRef: { name: "web-config", key: "features" } } },
          { name: "DB_PASSWORD", valueFrom: { secretKeyRef: { name: "db", key: "password", optional: false } } },
        ],
        resources: { limits: { cpu: "1", memory: "512Mi" }, requests: { cpu: "250m", memory: "256Mi" } },
        volumeMounts: [
          { name: "config", mountPath: "/etc/web", readOnly: true },
          { name: "cache", mountPath: "/var/cache/web", subPath: "web" },
          { name: "kube-api-access-q8m4t", readOnly: true, mountPath: "/var/run/secrets/kubernetes.io/serviceaccount" },
        ],
        livenessProbe: {
          httpGet: {
            path: "/healthz",
            port: "http",
            scheme: "HTTP",
            httpHeaders: [{ name: "X-Probe", value: "liveness" }],
          },
          initialDelaySeconds: 10,
          timeoutSeconds: 1,
          periodSeconds: 10,
          successThreshold: 1,
          failureThreshold: 3,
        },
        readinessProbe: {
          tcpSocket: { port: "http" },
          timeoutSeconds: 1,
          periodSeconds: 5,
          successThreshold: 1,
          failureThreshold: 3,
        },
        startupProbe: {
          exec: { command: ["/app/ready", "--startup"] },
          timeoutSeconds: 1,
          periodSeconds: 2,
          successThreshold: 1,
          failureThreshold: 30,
          terminationGracePeriodSeconds: 5,
        },
        lifecycle: {
          postStart: { exec: { command: ["/bin/sh", "-c", "echo started > /tmp/started"] } },
          preStop: { httpGet: { path: "/drain", port: "http", scheme: "HTTP" } },
        },
        terminationMessagePath: "/dev/termination-log",
        terminationMessagePolicy: "FallbackToLogsOnError",
        imagePullPolicy: "IfNotPresent",
        securityContext: {
          capabilities: { drop: ["ALL"] },
          privileged: false,
          runAsUser: 1000,
          runAsGroup: 0,
          runAsNonRoot: true,
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
        },
        stdin: true,
        tty: true,
      },
    ],
    volumes: [
      {
        name: "config",
        configMap: { name: "web-config", items: [{ key: "app.yaml", path: "app.yaml", mode: 0o400 }], defaultMode: 420, optional: false },
      },
      { name: "cache", emptyDir: { medium: "Memory", sizeLimit: "64Mi" } },
      { name: "tmp", emptyDir: {} },
      { name: "certs", secret: { secretName: "web-tls", items: [{ key: "tls.crt", path: "tls.crt" }], defaultMode: 256 } },
      { name: "logs", hostPath: { path: "/var/log/web", type: "DirectoryOrCreate" } },
      { name: "data", persistentVolumeClaim: { claimName: "web-data", readOnly: true } },
      {
        name: "kube-api-access-q8m4t",
        projected: {
          sources: [
            { serviceAccountToken: { expirationSeconds: 3607, path: "token" } },
            { configMap: { name: "kube-root-ca.crt", items: [{ key: "ca.crt", path: "ca.crt" }] } },
            {
              downwardAPI: {
                items: [{ path: "namespace", fieldRef: { apiVersion: "v1", fieldPath: "metadata.namespace" } }],
              },
            },
          ],
          defaultMode: 420,
        },
      },
    ],
    restartPolicy: "Always",
    terminationGracePeriodSeconds: 30,
    activeDeadlineSeconds: 86400,
    dnsPolicy: "ClusterFirst",
    nodeSelector: { "kubernetes.io/os": "linux" },
    serviceAccountName: "web",
    serviceAccount: "web",
    nodeName: "worker-2",
    securityContext: { fsGroup: 2000, seccompProfile: { type: "RuntimeDefault" } },
    hostname: "web-0",
    subdomain: "web",
    affinity: {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            {
              matchExpressions: [{ key: "kubernetes.io/arch", operator: "In", values: ["amd64", "arm64"] }],
              matchFields: [{ key: "metadata.name", operator: "NotIn", values: ["worker-9"] }],
            },
          ],
        },
        preferredDuringSchedulingIgnoredDuringExecution: [
          { weight: 50, preference: { matchExpressions: [{ key: "disktype", operator: "In", values: ["ssd"] }] } },
        ],
      },
      podAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: [
          {
            labelSelector: { matchLabels: { app: "cache" } },
            namespaces: ["shop"],
            topologyKey: "topology.kubernetes.io/zone",
            namespaceSelector: {},
          },
        ],
      },
      podAntiAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          {
            weight: 100,
            podAffinityTerm: {
              labelSelector: { matchExpressions: [{ key: "app", operator: "In", values: ["web"] }] },
              topologyKey: "kubernetes.io/hostname",
            },
          },
        ],
      },
    },
    schedulerName: "default-scheduler",
    tolerations: [
      { key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 },
      { key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 },
      { key: "dedicated", operator: "Equal", value: "shop", effect: "NoSchedule" },
    ],
    priorityClassName: "high",
    priority: 0,
    enableServiceLinks: true,
    preemptionPolicy: "PreemptLowerPriority",
    topologySpreadConstraints: [
      {
        maxSkew: 1,
        topologyKey: "topology.kubernetes.io/zone",
        whenUnsatisfiable: "ScheduleAnyway",
        labelSelector: { matchLabels: { app: "web" } },
        minDomains: 2,
      },
    ],
    overhead: { cpu: "10m" },
  },
  status: {
    phase: "Running",
    conditions: [
      { type: "PodReadyToStartContainers", status: "True", lastTransitionTime: "2026-11-23T10:15:45Z" },
      { type: "Initialized", status: "True", lastTransitionTime: "2026-11-23T10:15:51Z" },
      { type: "Ready", status: "False", lastTransitionTime: "2026-11-23T10:17:02Z", reason: "ContainersNotReady", message: "containers with unready status: [web]" },
      { type: "PodScheduled", status: "True", lastTransitionTime: "2026-11-23T10:15:42Z" },
    ],
    hostIP: "10.0.1.12",
    hostIPs: [{ ip: "10.0.1.12" }],
    podIP: "10.244.2.17",
    podIPs: [{ ip: "10.244.2.17" }, { ip: "fd00:10:244:2::11" }],
    startTime: "2026-11-23T10:15:42Z",
    initContainerStatuses: [
      {
        name: "migrate",
        state: {
          terminated: {
            exitCode: 0,
            reason: "Completed",
            startedAt: "2026-11-23T10:15:44Z",
            finishedAt: "2026-11-23T10:15:50Z",
            containerID: "containerd://1f2e3d4c5b6a",
          },
        },
        lastState: {},
        ready: true,
        restartCount: 0,
        image: "registry.example.com/shop/web:2.4.1",
        imageID: "registry.example.com/shop/web@sha256:0f1e2d3c4b5a",
        containerID: "containerd://1f2e3d4c5b6a",
        started: false,
      },
    ],
    containerStatuses: [
      {
        name: "web",
        state: { running: { startedAt: "2026-11-23T10:17:01Z" } },
        lastState: {
          terminated: {
            exitCode: 137,
            signal: 9,
            reason: "OOMKilled",
            message: "out of memory",
            startedAt: "2026-11-23T10:15:52Z",
            finishedAt: "2026-11-23T10:16:58Z",
            containerID: "containerd://a1b2c3d4e5f6",
          },
        },
        ready: false,
        restartCount: 1,
        image: "registry.example.com/shop/web:2.4.1",
        imageID: "registry.example.com/shop/web@sha256:0f1e2d3c4b5a",
        containerID: "containerd://b2c3d4e5f6a7",
        started: true,
      },
    ],
    qosClass: "Burstable",
    nominatedNodeName: "worker-3",
  },
};

// A pod whose image is still being pulled: Kubernetes writes the empty imageID and zero counts.
const pendingPodStatus = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "pending", namespace: "default" },
  status: {
    phase: "Pending",
    containerStatuses: [
      {
        name: "app",
        state: { waiting: { reason: "ErrImagePull", message: 'failed to pull image "app:nope"' } },
        lastState: {},
        ready: false,
        restartCount: 0,
        image: "app:nope",
        imageID: "",
        started: false,
      },
    ],
    qosClass: "BestEffort",
  },
};

const binding = {
  apiVersion: "v1",
  kind: "Binding",
  metadata: { name: "web-6d4cf56db6-x7k2p", namespace: "shop" },
  target: { apiVersion: "v1", kind: "Node", name: "worker-2" },
};

const namespace = {
  apiVersion: "v1",
  kind: "Namespace",
  metadata: {
    name: "shop",
    uid: "3c2b1a09-8f7e-4d6c-5b4a-392817161514",
    resourceVersion: "120",
    creationTimestamp: "2026-11-20T08:00:00Z",
    labels: { "kubernetes.io/metadata.name": "shop" },
  },
  spec: { finalizers: ["kubernetes"] },
  status: { phase: "Active" },
};

const configMap = {
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name: "web-config", namespace: "shop", resourceVersion: "4711", creationTimestamp: "2026-11-20T08:05:00Z" },
  data: { "app.yaml": "listen: :8080\nlog: info\n", features: "checkout,search" },
  binaryData: { "logo.png": "iVBORw0KGgo=" },
  immutable: false,
};

const secret = {
  apiVersion: "v1",
  kind: "Secret",
  metadata: { name: "db", namespace: "shop", resourceVersion: "4712", creationTimestamp: "2026-11-20T08:05:01Z" },
  data: { password: "czNjcjN0", username: "d2Vi" },
  type: "Opaque",
  immutable: true,
};

const secretFromManifest = {
  apiVersion: "v1",
  kind: "Secret",
  metadata: { name: "tls" },
  stringData: { "tls.key": "-----BEGIN PRIVATE KEY-----\n" },
  type: "kubernetes.io/tls",
};

const serviceAccount = {
  apiVersion: "v1",
  kind: "ServiceAccount",
  metadata: { name: "web", namespace: "shop" },
  secrets: [{ name: "web-token-4h2kd" }],
  imagePullSecrets: [{ name: "registry" }],
  automountServiceAccountToken: false,
};

// As `kubectl get node -o json` prints a kubelet-registered node (image list shortened).
const node = {
  apiVersion: "v1",
  kind: "Node",
  metadata: {
    name: "worker-2",
    uid: "7e6d5c4b-3a29-4817-a6b5-c4d3e2f1a0b9",
    resourceVersion: "918200",
    creationTimestamp: "2026-11-20T07:58:11Z",
    labels: { "kubernetes.io/arch": "amd64", "kubernetes.io/hostname": "worker-2", "kubernetes.io/os": "linux" },
    annotations: { "node.alpha.kubernetes.io/ttl": "0" },
  },
  spec: {
    podCIDR: "10.244.2.0/24",
    podCIDRs: ["10.244.2.0/24", "fd00:10:244:2::/64"],
    providerID: "kind://docker/kind/worker-2",
    unschedulable: true,
    taints: [
      { key: "node.kubernetes.io/unschedulable", effect: "NoSchedule", timeAdded: "2026-11-23T09:00:00Z" },
      { key: "dedicated", value: "shop", effect: "NoSchedule" },
    ],
  },
  status: {
    capacity: { cpu: "8", "ephemeral-storage": "102626232Ki", "hugepages-2Mi": "0", memory: "16363856Ki", pods: "110" },
    allocatable: { cpu: "7800m", "ephemeral-storage": "94580335255", memory: "15849856Ki", pods: "110" },
    conditions: [
      {
        type: "MemoryPressure",
        status: "False",
        lastHeartbeatTime: "2026-11-23T10:20:01Z",
        lastTransitionTime: "2026-11-20T07:58:11Z",
        reason: "KubeletHasSufficientMemory",
        message: "kubelet has sufficient memory available",
      },
      {
        type: "Ready",
        status: "True",
        lastHeartbeatTime: "2026-11-23T10:20:01Z",
        lastTransitionTime: "2026-11-20T07:58:40Z",
        reason: "KubeletReady",
        message: "kubelet is posting ready status",
      },
    ],
    addresses: [
      { type: "InternalIP", address: "10.0.1.12" },
      { type: "Hostname", address: "worker-2" },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
    nodeInfo: {
      machineID: "4f1c2b3a9d8e7f60a1b2c3d4e5f60718",
      systemUUID: "8e2f4a6c-1b3d-4e5f-9a0b-1c2d3e4f5a6b",
      bootID: "0d9c8b7a-6f5e-4d3c-2b1a-098f7e6d5c4b",
      kernelVersion: "6.8.0-49-generic",
      osImage: "Debian GNU/Linux 12 (bookworm)",
      containerRuntimeVersion: "containerd://1.7.24",
      kubeletVersion: "v1.31.2",
      kubeProxyVersion: "v1.31.2",
      operatingSystem: "linux",
      architecture: "amd64",
    },
    images: [
      { names: ["registry.example.com/shop/web@sha256:0f1e2d3c4b5a", "registry.example.com/shop/web:2.4.1"], sizeBytes: 48213377 },
      { names: ["registry.k8s.io/pause:3.10"], sizeBytes: 320368 },
    ],
    volumesInUse: ["kubernetes.io/csi/ebs.csi.aws.com^vol-0a1b2c"],
    volumesAttached: [{ name: "kubernetes.io/csi/ebs.csi.aws.com^vol-0a1b2c", devicePath: "" }],
  },
};

// As `kubectl get svc -o json` prints it; targetPort is a container port name.
const service = {
  apiVersion: "v1",
  kind: "Service",
  metadata: { name: "web", namespace: "shop", uid: "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d", resourceVersion: "5001", creationTimestamp: "2026-11-20T08:06:00Z" },
  spec: {
    ports: [
      { name: "http", protocol: "TCP", appProtocol: "http", port: 80, targetPort: "http", nodePort: 30080 },
      { name: "metrics", protocol: "TCP", port: 9090, targetPort: "metrics", nodePort: 30090 },
    ],
    selector: { app: "web" },
    clusterIP: "10.96.14.7",
    clusterIPs: ["10.96.14.7", "fd00:10:96::e07"],
    type: "LoadBalancer",
    externalIPs: ["203.0.113.10"],
    sessionAffinity: "ClientIP",
    sessionAffinityConfig: { clientIP: { timeoutSeconds: 10800 } },
    loadBalancerIP: "203.0.113.20",
    externalTrafficPolicy: "Local",
    healthCheckNodePort: 31555,
    publishNotReadyAddresses: true,
    ipFamilies: ["IPv4", "IPv6"],
    ipFamilyPolicy: "PreferDualStack",
    allocateLoadBalancerNodePorts: true,
    internalTrafficPolicy: "Cluster",
  },
  status: { loadBalancer: { ingress: [{ ip: "203.0.113.20", ipMode: "VIP" }, { hostname: "web.lb.example.com" }] } },
};

const externalNameService = {
  apiVersion: "v1",
  kind: "Service",
  metadata: { name: "db", namespace: "shop" },
  spec: { type: "ExternalName", externalName: "db.example.com", sessionAffinity: "None" },
  status: { loadBalancer: {} },
};

const endpoints = {
  apiVersion: "v1",
  kind: "Endpoints",
  metadata: { name: "web", namespace: "shop" },
  subsets: [
    {
      addresses: [
        {
          ip: "10.244.2.17",
          hostname: "web-0",
          nodeName: "worker-2",
          targetRef: { kind: "Pod", namespace: "shop", name: "web-6d4cf56db6-x7k2p", uid: "5b1f7a3c-2d4e-4f60-8a9b-0c1d2e3f4a5b" },
        },
      ],
      notReadyAddresses: [{ ip: "10.244.1.9", nodeName: "worker-1" }],
      ports: [{ name: "http", port: 8080, protocol: "TCP", appProtocol: "http" }],
    },
  ],
};

const event = {
  apiVersion: "v1",
  kind: "Event",
  metadata: { name: "web-6d4cf56db6-x7k2p.1879a8b2c3d4e5f6", namespace: "shop" },
  involvedObject: {
    kind: "Pod",
    namespace: "shop",
    name: "web-6d4cf56db6-x7k2p",
    uid: "5b1f7a3c-2d4e-4f60-8a9b-0c1d2e3f4a5b",
    apiVersion: "v1",
    resourceVersion: "918100",
    fieldPath: "spec.containers{web}",
  },
  reason: "BackOff",
  message: "Back-off restarting failed container web",
  source: { component: "kubelet", host: "worker-2" },
  firstTimestamp: "2026-11-23T10:16:58Z",
  lastTimestamp: "2026-11-23T10:17:00Z",
  count: 2,
  type: "Warning",
  eventTime: "2026-11-23T10:16:58.123456Z",
  action: "Restarting",
  reportingComponent: "kubelet",
  reportingInstance: "worker-2",
};

const persistentVolume = {
  apiVersion: "v1",
  kind: "PersistentVolume",
  metadata: { name: "pv-local-1" },
  spec: {
    capacity: { storage: "100Gi" },
    local: { path: "/mnt/disks/ssd1" },
    accessModes: ["ReadWriteOnce"],
    claimRef: { kind: "PersistentVolumeClaim", namespace: "shop", name: "web-data", uid: "6c5b4a39-2817-4f6e-8d7c-6b5a49382716", apiVersion: "v1", resourceVersion: "7001" },
    persistentVolumeReclaimPolicy: "Retain",
    storageClassName: "local-storage",
    volumeMode: "Filesystem",
    nodeAffinity: {
      required: {
        nodeSelectorTerms: [{ matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In", values: ["worker-2"] }] }],
      },
    },
  },
  status: { phase: "Bound", lastPhaseTransitionTime: "2026-11-20T08:10:00Z" },
};

const persistentVolumeClaim = {
  apiVersion: "v1",
  kind: "PersistentVolumeClaim",
  metadata: { name: "web-data", namespace: "shop" },
  spec: {
    accessModes: ["ReadWriteOnce"],
    selector: { matchLabels: { tier: "fast" } },
    resources: { requests: { storage: "50Gi" }, limits: { storage: "100Gi" } },
    volumeName: "pv-local-1",
    storageClassName: "",
    volumeMode: "Filesystem",
  },
  status: { phase: "Bound", accessModes: ["ReadWriteOnce"], capacity: { storage: "100Gi" } },
};

test("the nginx Pod of the Kubernetes docs round-trips", () => {
  assertRoundTrips(Pod, nginxPod);
});

test("a full Pod as kubectl prints it round-trips field for field, through JSON and protobuf", () => {
  assertRoundTrips(Pod, fullPod);
});

test("a waiting container keeps Kubernetes' always-written zero values (ready, restartCount, imageID)", () => {
  assertRoundTrips(Pod, pendingPodStatus);
});

test("a Pod's explicit zero priority and runAsGroup 0 are kept, absent ones stay absent", () => {
  const json = Pod.toJSON(Pod.fromJSON(fullPod)) as typeof fullPod;
  assert.equal(json.spec.priority, 0);
  assert.equal(json.spec.containers[0]?.securityContext?.runAsGroup, 0);
  const bare = Pod.toJSON(Pod.fromJSON(nginxPod)) as { spec: Record<string, unknown> };
  assert.equal("priority" in bare.spec, false);
  assert.equal("terminationGracePeriodSeconds" in bare.spec, false);
});

test("Binding round-trips", () => {
  assertRoundTrips(Binding, binding);
});

test("Namespace, ConfigMap, Secret and ServiceAccount round-trip", () => {
  assertRoundTrips(Namespace, namespace);
  assertRoundTrips(ConfigMap, configMap);
  assertRoundTrips(Secret, secret);
  assertRoundTrips(Secret, secretFromManifest);
  assertRoundTrips(ServiceAccount, serviceAccount);
});

test("a Node round-trips, including daemonEndpoints.kubeletEndpoint.Port with its capital P", () => {
  assertRoundTrips(Node, node);
  const json = Node.toJSON(Node.fromPartial({ status: { daemonEndpoints: { kubeletEndpoint: { port: 10250 } } } }));
  assert.deepEqual(json, { status: { daemonEndpoints: { kubeletEndpoint: { Port: 10250 } } } });
});

test("Services (with named target ports) and Endpoints round-trip", () => {
  assertRoundTrips(Service, service);
  assertRoundTrips(Service, externalNameService);
  assertRoundTrips(Endpoints, endpoints);
});

test("Event, PersistentVolume and PersistentVolumeClaim round-trip", () => {
  assertRoundTrips(Event, event);
  assertRoundTrips(PersistentVolume, persistentVolume);
  assertRoundTrips(PersistentVolumeClaim, persistentVolumeClaim);
});

test("the descriptors record IntOrString fields and Kubernetes' strategic-merge keys", () => {
  const options = apiOptions();
  const { intOrString, mergeKey, patchStrategy } = options;
  const field = (message: string, name: string) => options.field(`kubeplane.core.v1.${message}`, name);
  for (const [message, name] of [["ServicePort", "target_port"], ["HTTPGetAction", "port"], ["TCPSocketAction", "port"]] as const) {
    assert.equal(getOption(field(message, name), intOrString), true, `${message}.${name}`);
  }
  assert.equal(getOption(field("ServicePort", "port"), intOrString), false);
  const keys: Array<[string, string, string, string]> = [
    ["PodSpec", "containers", "name", "merge"],
    ["PodSpec", "init_containers", "name", "merge"],
    ["PodSpec", "volumes", "name", "merge,retainKeys"],
    ["Container", "ports", "containerPort", "merge"],
    ["Container", "env", "name", "merge"],
    ["Container", "volume_mounts", "mountPath", "merge"],
    ["PodStatus", "conditions", "type", "merge"],
    ["ServiceSpec", "ports", "port", "merge"],
    ["NodeStatus", "conditions", "type", "merge"],
  ];
  for (const [message, name, key, strategy] of keys) {
    assert.equal(getOption(field(message, name), mergeKey), key, `${message}.${name}`);
    assert.equal(getOption(field(message, name), patchStrategy), strategy, `${message}.${name}`);
  }
  assert.equal(getOption(field("PodSpec", "tolerations"), mergeKey), "");
});
