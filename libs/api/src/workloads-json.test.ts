// Kubernetes JSON for workload, autoscaling, networking, scheduling, storage and discovery
// objects survives the generated JSON and binary codecs unchanged.
import assert from "node:assert/strict";
import { test } from "node:test";
import { getOption } from "@bufbuild/protobuf";
import { apiOptions, assertRoundTrips } from "./codec-test-support.js";
import { ControllerRevision } from "./gen/kubeplane/apps/v1/controller_revision.js";
import { DaemonSet } from "./gen/kubeplane/apps/v1/daemon_set.js";
import { Deployment } from "./gen/kubeplane/apps/v1/deployment.js";
import { ReplicaSet } from "./gen/kubeplane/apps/v1/replica_set.js";
import { StatefulSet } from "./gen/kubeplane/apps/v1/stateful_set.js";
import { HorizontalPodAutoscaler } from "./gen/kubeplane/autoscaling/v2/horizontal_pod_autoscaler.js";
import { Scale } from "./gen/kubeplane/autoscaling/v2/scale.js";
import { CronJob } from "./gen/kubeplane/batch/v1/cron_job.js";
import { Job } from "./gen/kubeplane/batch/v1/job.js";
import { Lease } from "./gen/kubeplane/coordination/v1/lease.js";
import { ReplicationController } from "./gen/kubeplane/core/v1/replication_controller.js";
import { EndpointSlice } from "./gen/kubeplane/discovery/v1/endpoint_slice.js";
import { Ingress } from "./gen/kubeplane/networking/v1/ingress.js";
import { PriorityClass } from "./gen/kubeplane/scheduling/v1/priority_class.js";
import { StorageClass } from "./gen/kubeplane/storage/v1/storage_class.js";

// The pod spec Kubernetes' defaulting writes into a template with one container.
function defaultedPodSpec(container: Record<string, unknown>): Record<string, unknown> {
  return {
    containers: [
      {
        resources: {},
        terminationMessagePath: "/dev/termination-log",
        terminationMessagePolicy: "File",
        imagePullPolicy: "IfNotPresent",
        ...container,
      },
    ],
    restartPolicy: "Always",
    terminationGracePeriodSeconds: 30,
    dnsPolicy: "ClusterFirst",
    securityContext: {},
    schedulerName: "default-scheduler",
  };
}

// The Deployment of the Kubernetes introduction ("Using kubectl to create a Deployment").
const nginxDeployment = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "nginx-deployment" },
  spec: {
    selector: { matchLabels: { app: "nginx" } },
    replicas: 2,
    template: {
      metadata: { labels: { app: "nginx" } },
      spec: { containers: [{ name: "nginx", image: "nginx:1.7.9", ports: [{ containerPort: 80 }] }] },
    },
  },
};

// As `kubectl get deployment -o json` prints it mid-rollout.
const deployment = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: {
    name: "web",
    namespace: "shop",
    uid: "0d9c8b7a-6f5e-4d3c-2b1a-098f7e6d5c4b",
    resourceVersion: "918300",
    generation: 4,
    creationTimestamp: "2026-11-20T08:10:00Z",
    labels: { app: "web" },
    annotations: { "deployment.kubernetes.io/revision": "3" },
  },
  spec: {
    replicas: 3,
    selector: { matchLabels: { app: "web" } },
    template: {
      metadata: { labels: { app: "web" }, annotations: { "kubectl.kubernetes.io/restartedAt": "2026-11-23T10:15:00Z" } },
      spec: defaultedPodSpec({
        name: "web",
        image: "registry.example.com/shop/web:2.4.1",
        ports: [{ name: "http", containerPort: 8080, protocol: "TCP" }],
        readinessProbe: {
          httpGet: { path: "/ready", port: "http", scheme: "HTTP" },
          timeoutSeconds: 1,
          periodSeconds: 10,
          successThreshold: 1,
          failureThreshold: 3,
        },
      }),
    },
    strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: "25%", maxSurge: "25%" } },
    minReadySeconds: 5,
    revisionHistoryLimit: 10,
    progressDeadlineSeconds: 600,
  },
  status: {
    observedGeneration: 4,
    replicas: 4,
    updatedReplicas: 2,
    readyReplicas: 3,
    availableReplicas: 3,
    unavailableReplicas: 1,
    terminatingReplicas: 0,
    conditions: [
      {
        type: "Available",
        status: "True",
        lastUpdateTime: "2026-11-20T08:10:31Z",
        lastTransitionTime: "2026-11-20T08:10:31Z",
        reason: "MinimumReplicasAvailable",
        message: "Deployment has minimum availability.",
      },
      {
        type: "Progressing",
        status: "True",
        lastUpdateTime: "2026-11-23T10:15:42Z",
        lastTransitionTime: "2026-11-20T08:10:00Z",
        reason: "ReplicaSetUpdated",
        message: 'ReplicaSet "web-6d4cf56db6" is progressing.',
      },
    ],
    collisionCount: 1,
  },
};

// A paused deployment scaled to zero with the Recreate strategy.
const pausedDeployment = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "batch-ui", namespace: "shop", generation: 2 },
  spec: {
    replicas: 0,
    selector: { matchExpressions: [{ key: "app", operator: "In", values: ["batch-ui"] }] },
    template: { metadata: { labels: { app: "batch-ui" } }, spec: defaultedPodSpec({ name: "ui", image: "ui:1" }) },
    strategy: { type: "Recreate" },
    revisionHistoryLimit: 0,
    paused: true,
    progressDeadlineSeconds: 600,
  },
  status: { observedGeneration: 2 },
};

const replicaSet = {
  apiVersion: "apps/v1",
  kind: "ReplicaSet",
  metadata: {
    name: "web-6d4cf56db6",
    namespace: "shop",
    generation: 2,
    labels: { app: "web", "pod-template-hash": "6d4cf56db6" },
    annotations: {
      "deployment.kubernetes.io/desired-replicas": "3",
      "deployment.kubernetes.io/max-replicas": "4",
      "deployment.kubernetes.io/revision": "3",
    },
    ownerReferences: [
      {
        apiVersion: "apps/v1",
        kind: "Deployment",
        name: "web",
        uid: "0d9c8b7a-6f5e-4d3c-2b1a-098f7e6d5c4b",
        controller: true,
        blockOwnerDeletion: true,
      },
    ],
  },
  spec: {
    replicas: 2,
    minReadySeconds: 5,
    selector: { matchLabels: { app: "web", "pod-template-hash": "6d4cf56db6" } },
    template: {
      metadata: { labels: { app: "web", "pod-template-hash": "6d4cf56db6" } },
      spec: defaultedPodSpec({ name: "web", image: "registry.example.com/shop/web:2.4.1" }),
    },
  },
  status: {
    replicas: 2,
    fullyLabeledReplicas: 2,
    readyReplicas: 1,
    availableReplicas: 1,
    terminatingReplicas: 0,
    observedGeneration: 2,
    conditions: [
      {
        type: "ReplicaFailure",
        status: "True",
        lastTransitionTime: "2026-11-23T10:16:00Z",
        reason: "FailedCreate",
        message: 'pods "web-6d4cf56db6-" is forbidden: exceeded quota: pods',
      },
    ],
  },
};

// An old replica set scaled down: Kubernetes writes `replicas: 0`.
const oldReplicaSet = {
  apiVersion: "apps/v1",
  kind: "ReplicaSet",
  metadata: { name: "web-5c9b8f7d4", namespace: "shop", generation: 5 },
  spec: {
    replicas: 0,
    selector: { matchLabels: { app: "web", "pod-template-hash": "5c9b8f7d4" } },
    template: { metadata: { labels: { app: "web", "pod-template-hash": "5c9b8f7d4" } }, spec: defaultedPodSpec({ name: "web", image: "web:2.4.0" }) },
  },
  status: { replicas: 0, observedGeneration: 5 },
};

const daemonSet = {
  apiVersion: "apps/v1",
  kind: "DaemonSet",
  metadata: {
    name: "node-exporter",
    namespace: "monitoring",
    generation: 1,
    labels: { app: "node-exporter" },
    annotations: { "deprecated.daemonset.template.generation": "1" },
  },
  spec: {
    selector: { matchLabels: { app: "node-exporter" } },
    template: {
      metadata: { labels: { app: "node-exporter" } },
      spec: {
        ...defaultedPodSpec({
          name: "node-exporter",
          image: "quay.io/prometheus/node-exporter:v1.8.2",
          args: ["--path.rootfs=/host"],
          ports: [{ name: "metrics", containerPort: 9100, hostPort: 9100, protocol: "TCP" }],
        }),
        hostNetwork: true,
        hostPID: true,
        tolerations: [{ operator: "Exists" }],
      },
    },
    updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: "10%", maxSurge: "0%" } },
    revisionHistoryLimit: 10,
  },
  status: {
    currentNumberScheduled: 3,
    numberMisscheduled: 0,
    desiredNumberScheduled: 3,
    numberReady: 2,
    observedGeneration: 1,
    updatedNumberScheduled: 3,
    numberAvailable: 2,
    numberUnavailable: 1,
  },
};

// A daemon set no node matches: Kubernetes writes the four zero counts.
const idleDaemonSet = {
  apiVersion: "apps/v1",
  kind: "DaemonSet",
  metadata: { name: "gpu-driver", namespace: "kube-system", generation: 1 },
  spec: {
    selector: { matchLabels: { app: "gpu-driver" } },
    template: { metadata: { labels: { app: "gpu-driver" } }, spec: defaultedPodSpec({ name: "driver", image: "driver:550" }) },
    updateStrategy: { type: "OnDelete" },
    revisionHistoryLimit: 10,
  },
  status: { currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0, observedGeneration: 1 },
};

const statefulSet = {
  apiVersion: "apps/v1",
  kind: "StatefulSet",
  metadata: { name: "db", namespace: "shop", generation: 3, labels: { app: "db" } },
  spec: {
    replicas: 3,
    selector: { matchLabels: { app: "db" } },
    template: {
      metadata: { labels: { app: "db" } },
      spec: defaultedPodSpec({
        name: "postgres",
        image: "postgres:17",
        ports: [{ name: "pg", containerPort: 5432, protocol: "TCP" }],
        volumeMounts: [{ name: "data", mountPath: "/var/lib/postgresql/data" }],
      }),
    },
    volumeClaimTemplates: [
      {
        apiVersion: "v1",
        kind: "PersistentVolumeClaim",
        metadata: { name: "data" },
        spec: {
          accessModes: ["ReadWriteOnce"],
          resources: { requests: { storage: "10Gi" } },
          storageClassName: "fast",
          volumeMode: "Filesystem",
        },
        status: { phase: "Pending" },
      },
    ],
    serviceName: "db",
    podManagementPolicy: "Parallel",
    updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: 0, maxUnavailable: "50%" } },
    revisionHistoryLimit: 10,
    minReadySeconds: 10,
    persistentVolumeClaimRetentionPolicy: { whenDeleted: "Retain", whenScaled: "Delete" },
    ordinals: { start: 1 },
  },
  status: {
    observedGeneration: 3,
    replicas: 3,
    readyReplicas: 2,
    currentReplicas: 1,
    updatedReplicas: 2,
    currentRevision: "db-7b9f6c5d8",
    updateRevision: "db-5d4c3b2a1",
    collisionCount: 0,
    availableReplicas: 2,
  },
};

// A stateful set scaled to zero: replicas and availableReplicas are written as 0.
const scaledDownStatefulSet = {
  apiVersion: "apps/v1",
  kind: "StatefulSet",
  metadata: { name: "cache", namespace: "shop", generation: 2 },
  spec: {
    replicas: 0,
    selector: { matchLabels: { app: "cache" } },
    template: { metadata: { labels: { app: "cache" } }, spec: defaultedPodSpec({ name: "redis", image: "redis:7" }) },
    serviceName: "cache",
    podManagementPolicy: "OrderedReady",
    updateStrategy: { type: "OnDelete" },
    revisionHistoryLimit: 10,
    persistentVolumeClaimRetentionPolicy: { whenDeleted: "Retain", whenScaled: "Retain" },
  },
  status: {
    observedGeneration: 2,
    replicas: 0,
    currentRevision: "cache-6c5b4a39",
    updateRevision: "cache-6c5b4a39",
    collisionCount: 0,
    availableReplicas: 0,
  },
};

// The revision a StatefulSet controller stores: data is a patch of the owner's spec.
const controllerRevision = {
  apiVersion: "apps/v1",
  kind: "ControllerRevision",
  metadata: {
    name: "db-7b9f6c5d8",
    namespace: "shop",
    labels: { app: "db", "controller.kubernetes.io/hash": "7b9f6c5d8" },
    ownerReferences: [
      { apiVersion: "apps/v1", kind: "StatefulSet", name: "db", uid: "6a5b4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d", controller: true, blockOwnerDeletion: true },
    ],
  },
  data: {
    spec: {
      template: {
        $patch: "replace",
        metadata: { labels: { app: "db" } },
        spec: {
          containers: [{ name: "postgres", image: "postgres:17", ports: [{ containerPort: 5432, name: "pg", protocol: "TCP" }], resources: {} }],
          terminationGracePeriodSeconds: 30,
          hostNetwork: false,
          nodeName: null,
          tolerations: [],
        },
      },
    },
  },
  revision: 1,
};

// The scale subresource (`kubectl get --raw /apis/apps/v1/namespaces/shop/deployments/web/scale`).
const scale = {
  kind: "Scale",
  apiVersion: "autoscaling/v1",
  metadata: { name: "web", namespace: "shop", uid: "0d9c8b7a-6f5e-4d3c-2b1a-098f7e6d5c4b", resourceVersion: "918300", creationTimestamp: "2026-11-20T08:10:00Z" },
  spec: { replicas: 3 },
  status: { replicas: 3, selector: "app=web" },
};

const zeroScale = {
  kind: "Scale",
  apiVersion: "autoscaling/v1",
  metadata: { name: "cache", namespace: "shop" },
  spec: {},
  status: { replicas: 0, selector: "app=cache" },
};

const job = {
  apiVersion: "batch/v1",
  kind: "Job",
  metadata: {
    name: "pi",
    namespace: "default",
    generation: 1,
    labels: { "batch.kubernetes.io/controller-uid": "3f2e1d0c-9b8a-4765-8432-10fedcba9876", "batch.kubernetes.io/job-name": "pi" },
  },
  spec: {
    parallelism: 1,
    completions: 1,
    activeDeadlineSeconds: 600,
    backoffLimit: 4,
    selector: { matchLabels: { "batch.kubernetes.io/controller-uid": "3f2e1d0c-9b8a-4765-8432-10fedcba9876" } },
    manualSelector: false,
    template: {
      metadata: { labels: { "batch.kubernetes.io/job-name": "pi", "job-name": "pi" } },
      spec: {
        ...defaultedPodSpec({ name: "pi", image: "perl:5.34.0", command: ["perl", "-Mbignum=bpi", "-wle", "print bpi(2000)"] }),
        restartPolicy: "Never",
      },
    },
    ttlSecondsAfterFinished: 100,
    completionMode: "NonIndexed",
    suspend: false,
    podReplacementPolicy: "TerminatingOrFailed",
  },
  status: {
    conditions: [
      { type: "SuccessCriteriaMet", status: "True", lastProbeTime: "2026-11-23T10:16:10Z", lastTransitionTime: "2026-11-23T10:16:10Z" },
      { type: "Complete", status: "True", lastProbeTime: "2026-11-23T10:16:10Z", lastTransitionTime: "2026-11-23T10:16:10Z" },
    ],
    startTime: "2026-11-23T10:15:42Z",
    completionTime: "2026-11-23T10:16:10Z",
    succeeded: 1,
    terminating: 0,
    uncountedTerminatedPods: {},
    ready: 0,
  },
};

// A running job with pods finished but not yet counted.
const runningJob = {
  apiVersion: "batch/v1",
  kind: "Job",
  metadata: { name: "render", namespace: "default" },
  spec: {
    parallelism: 3,
    completions: 10,
    backoffLimit: 6,
    template: { spec: { ...defaultedPodSpec({ name: "render", image: "render:1" }), restartPolicy: "OnFailure" } },
    completionMode: "Indexed",
    suspend: false,
  },
  status: {
    startTime: "2026-11-23T10:15:42Z",
    active: 3,
    succeeded: 4,
    failed: 1,
    completedIndexes: "0-3",
    uncountedTerminatedPods: { succeeded: ["a1b2c3d4-0000-4000-8000-000000000001"], failed: ["a1b2c3d4-0000-4000-8000-000000000002"] },
    ready: 2,
  },
};

const cronJob = {
  apiVersion: "batch/v1",
  kind: "CronJob",
  metadata: { name: "report", namespace: "shop", generation: 1 },
  spec: {
    schedule: "*/5 * * * *",
    timeZone: "Europe/Berlin",
    startingDeadlineSeconds: 200,
    concurrencyPolicy: "Forbid",
    suspend: false,
    jobTemplate: {
      metadata: { labels: { app: "report" } },
      spec: {
        backoffLimit: 2,
        template: {
          metadata: { labels: { app: "report" } },
          spec: { ...defaultedPodSpec({ name: "report", image: "report:3", args: ["--daily"] }), restartPolicy: "OnFailure" },
        },
      },
    },
    successfulJobsHistoryLimit: 3,
    failedJobsHistoryLimit: 1,
  },
  status: {
    active: [{ kind: "Job", namespace: "shop", name: "report-29402655", uid: "4d3c2b1a-0f9e-4d8c-b7a6-958473625140", apiVersion: "batch/v1", resourceVersion: "918350" }],
    lastScheduleTime: "2026-11-23T10:15:00Z",
    lastSuccessfulTime: "2026-11-23T10:10:07Z",
  },
};

const replicationController = {
  apiVersion: "v1",
  kind: "ReplicationController",
  metadata: { name: "nginx", namespace: "default", generation: 1, labels: { app: "nginx" } },
  spec: {
    replicas: 3,
    selector: { app: "nginx" },
    template: {
      metadata: { name: "nginx", labels: { app: "nginx" } },
      spec: defaultedPodSpec({ name: "nginx", image: "nginx", ports: [{ containerPort: 80, protocol: "TCP" }] }),
    },
  },
  status: {
    replicas: 3,
    fullyLabeledReplicas: 3,
    readyReplicas: 3,
    availableReplicas: 3,
    observedGeneration: 1,
    conditions: [{ type: "ReplicaFailure", status: "False", lastTransitionTime: "2026-11-23T10:15:42Z", reason: "Recovered" }],
  },
};

const scaledDownReplicationController = {
  apiVersion: "v1",
  kind: "ReplicationController",
  metadata: { name: "old", namespace: "default" },
  spec: { replicas: 0, minReadySeconds: 3, selector: { app: "old" } },
  status: { replicas: 0 },
};

const hpa = {
  apiVersion: "autoscaling/v2",
  kind: "HorizontalPodAutoscaler",
  metadata: { name: "web", namespace: "shop", resourceVersion: "918400", creationTimestamp: "2026-11-20T08:12:00Z" },
  spec: {
    scaleTargetRef: { kind: "Deployment", name: "web", apiVersion: "apps/v1" },
    minReplicas: 2,
    maxReplicas: 10,
    metrics: [
      { type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 60 } } },
      { type: "Resource", resource: { name: "memory", target: { type: "AverageValue", averageValue: "400Mi" } } },
      { type: "ContainerResource", containerResource: { name: "cpu", container: "web", target: { type: "Utilization", averageUtilization: 70 } } },
      {
        type: "Pods",
        pods: { metric: { name: "http_requests_per_second" }, target: { type: "AverageValue", averageValue: "100" } },
      },
      {
        type: "Object",
        object: {
          describedObject: { kind: "Ingress", name: "web", apiVersion: "networking.k8s.io/v1" },
          metric: { name: "requests-per-second" },
          target: { type: "Value", value: "10k" },
        },
      },
      {
        type: "External",
        external: {
          metric: { name: "queue_messages_ready", selector: { matchLabels: { queue: "orders" } } },
          target: { type: "AverageValue", averageValue: "30" },
        },
      },
    ],
    behavior: {
      scaleUp: {
        stabilizationWindowSeconds: 0,
        selectPolicy: "Max",
        policies: [
          { type: "Pods", value: 4, periodSeconds: 15 },
          { type: "Percent", value: 100, periodSeconds: 15 },
        ],
      },
      scaleDown: { stabilizationWindowSeconds: 300, selectPolicy: "Max", policies: [{ type: "Percent", value: 100, periodSeconds: 15 }] },
    },
  },
  status: {
    observedGeneration: 1,
    lastScaleTime: "2026-11-23T10:15:42Z",
    currentReplicas: 3,
    desiredReplicas: 4,
    currentMetrics: [
      { type: "Resource", resource: { name: "cpu", current: { averageValue: "152m", averageUtilization: 76 } } },
      { type: "Resource", resource: { name: "memory", current: { averageValue: "301Mi" } } },
      { type: "ContainerResource", containerResource: { name: "cpu", container: "web", current: { averageValue: "0", averageUtilization: 0 } } },
      { type: "Pods", pods: { metric: { name: "http_requests_per_second" }, current: { averageValue: "87500m" } } },
      {
        type: "Object",
        object: {
          describedObject: { kind: "Ingress", name: "web", apiVersion: "networking.k8s.io/v1" },
          metric: { name: "requests-per-second" },
          current: { value: "9k" },
        },
      },
      { type: "External", external: { metric: { name: "queue_messages_ready", selector: { matchLabels: { queue: "orders" } } }, current: { averageValue: "12" } } },
    ],
    conditions: [
      { type: "AbleToScale", status: "True", lastTransitionTime: "2026-11-20T08:12:15Z", reason: "ReadyForNewScale", message: "recommended size matches current size" },
      { type: "ScalingActive", status: "True", lastTransitionTime: "2026-11-20T08:12:15Z", reason: "ValidMetricFound", message: "the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)" },
      { type: "ScalingLimited", status: "False", lastTransitionTime: "2026-11-20T08:12:15Z", reason: "DesiredWithinRange", message: "the desired count is within the acceptable range" },
    ],
  },
};

// An HPA that has not computed anything yet: Kubernetes writes `desiredReplicas: 0`.
const newHpa = {
  apiVersion: "autoscaling/v2",
  kind: "HorizontalPodAutoscaler",
  metadata: { name: "api", namespace: "shop" },
  spec: { scaleTargetRef: { kind: "StatefulSet", name: "api", apiVersion: "apps/v1" }, minReplicas: 1, maxReplicas: 5 },
  status: { desiredReplicas: 0 },
};

// A leader-election lease as kube-controller-manager renews it (MicroTime timestamps).
const lease = {
  apiVersion: "coordination.k8s.io/v1",
  kind: "Lease",
  metadata: { name: "kube-controller-manager", namespace: "kube-system", resourceVersion: "918411" },
  spec: {
    holderIdentity: "control-plane_4c7e1c1e-2f3a-4b5c-8d9e-0f1a2b3c4d5e",
    leaseDurationSeconds: 15,
    acquireTime: "2026-11-20T07:58:02.413220Z",
    renewTime: "2026-11-23T10:15:42.031877Z",
    leaseTransitions: 0,
  },
};

// A lease released by its holder: holderIdentity is written as the empty string.
const releasedLease = {
  apiVersion: "coordination.k8s.io/v1",
  kind: "Lease",
  metadata: { name: "scheduler", namespace: "kube-system" },
  spec: { holderIdentity: "", leaseDurationSeconds: 1, leaseTransitions: 3, strategy: "OldestEmulationVersion", preferredHolder: "cp-2" },
};

const priorityClass = {
  apiVersion: "scheduling.k8s.io/v1",
  kind: "PriorityClass",
  metadata: { name: "high" },
  value: 1000000,
  description: "For user-facing services.",
  preemptionPolicy: "PreemptLowerPriority",
};

const zeroPriorityClass = {
  apiVersion: "scheduling.k8s.io/v1",
  kind: "PriorityClass",
  metadata: { name: "batch-default" },
  value: 0,
  globalDefault: true,
  preemptionPolicy: "Never",
};

const storageClass = {
  apiVersion: "storage.k8s.io/v1",
  kind: "StorageClass",
  metadata: { name: "fast", annotations: { "storageclass.kubernetes.io/is-default-class": "true" } },
  provisioner: "ebs.csi.aws.com",
  parameters: { type: "gp3", iops: "4000", "csi.storage.k8s.io/fstype": "ext4" },
  reclaimPolicy: "Delete",
  mountOptions: ["noatime"],
  allowVolumeExpansion: false,
  volumeBindingMode: "WaitForFirstConsumer",
  allowedTopologies: [{ matchLabelExpressions: [{ key: "topology.kubernetes.io/zone", values: ["eu-central-1a", "eu-central-1b"] }] }],
};

const ingress = {
  apiVersion: "networking.k8s.io/v1",
  kind: "Ingress",
  metadata: { name: "shop", namespace: "shop", generation: 2, annotations: { "nginx.ingress.kubernetes.io/rewrite-target": "/" } },
  spec: {
    ingressClassName: "nginx",
    defaultBackend: { resource: { apiGroup: "k8s.example.com", kind: "StorageBucket", name: "static-assets" } },
    tls: [{ hosts: ["shop.example.com"], secretName: "shop-tls" }, { hosts: ["*.shop.example.com"] }],
    rules: [
      {
        host: "shop.example.com",
        http: {
          paths: [
            { path: "/", pathType: "Prefix", backend: { service: { name: "web", port: { name: "http" } } } },
            { path: "/api", pathType: "Exact", backend: { service: { name: "api", port: { number: 8080 } } } },
          ],
        },
      },
      { http: { paths: [{ path: "/healthz", pathType: "ImplementationSpecific", backend: { service: { name: "health", port: { number: 80 } } } }] } },
    ],
  },
  status: {
    loadBalancer: {
      ingress: [
        { ip: "203.0.113.10" },
        { hostname: "lb-1234.elb.example.com", ports: [{ port: 443, protocol: "TCP" }, { port: 80, protocol: "TCP", error: "Pending" }] },
      ],
    },
  },
};

const newIngress = {
  apiVersion: "networking.k8s.io/v1",
  kind: "Ingress",
  metadata: { name: "minimal", namespace: "default" },
  spec: { defaultBackend: { service: { name: "test", port: { number: 80 } } } },
  status: { loadBalancer: {} },
};

const endpointSlice = {
  apiVersion: "discovery.k8s.io/v1",
  kind: "EndpointSlice",
  metadata: {
    name: "web-x8k2j",
    generateName: "web-",
    namespace: "shop",
    generation: 7,
    labels: { "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io", "kubernetes.io/service-name": "web" },
    ownerReferences: [{ apiVersion: "v1", kind: "Service", name: "web", uid: "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d", controller: true, blockOwnerDeletion: true }],
  },
  addressType: "IPv4",
  endpoints: [
    {
      addresses: ["10.244.2.17"],
      conditions: { ready: true, serving: true, terminating: false },
      targetRef: { kind: "Pod", namespace: "shop", name: "web-6d4cf56db6-x7k2p", uid: "5b1f7a3c-2d4e-4f60-8a9b-0c1d2e3f4a5b" },
      nodeName: "worker-2",
      zone: "eu-central-1a",
      hints: { forZones: [{ name: "eu-central-1a" }] },
    },
    {
      addresses: ["10.244.3.9"],
      conditions: { ready: false, serving: true, terminating: true },
      hostname: "web-1",
      targetRef: { kind: "Pod", namespace: "shop", name: "web-6d4cf56db6-q9w8e", uid: "6c2a8b4d-3e5f-4a71-9bac-1d2e3f4a5b6c" },
      nodeName: "worker-3",
      zone: "eu-central-1b",
      hints: { forZones: [{ name: "eu-central-1b" }], forNodes: [{ name: "worker-3" }] },
    },
    { addresses: ["10.244.4.2"], conditions: {} },
  ],
  ports: [
    { name: "http", protocol: "TCP", port: 8080, appProtocol: "http" },
    { name: "", protocol: "UDP", port: 0 },
  ],
};

const cases: [string, () => void][] = [
  ["the nginx Deployment of the Kubernetes introduction", () => assertRoundTrips(Deployment, nginxDeployment)],
  ["a Deployment mid-rollout", () => assertRoundTrips(Deployment, deployment)],
  ["a paused Deployment scaled to zero", () => assertRoundTrips(Deployment, pausedDeployment)],
  ["a ReplicaSet", () => assertRoundTrips(ReplicaSet, replicaSet)],
  ["a ReplicaSet scaled to zero", () => assertRoundTrips(ReplicaSet, oldReplicaSet)],
  ["a DaemonSet", () => assertRoundTrips(DaemonSet, daemonSet)],
  ["a DaemonSet on no nodes", () => assertRoundTrips(DaemonSet, idleDaemonSet)],
  ["a StatefulSet", () => assertRoundTrips(StatefulSet, statefulSet)],
  ["a StatefulSet scaled to zero", () => assertRoundTrips(StatefulSet, scaledDownStatefulSet)],
  ["a ControllerRevision", () => assertRoundTrips(ControllerRevision, controllerRevision)],
  ["a Scale", () => assertRoundTrips(Scale, scale)],
  ["a Scale of zero", () => assertRoundTrips(Scale, zeroScale)],
  ["a completed Job", () => assertRoundTrips(Job, job)],
  ["a running indexed Job", () => assertRoundTrips(Job, runningJob)],
  ["a CronJob", () => assertRoundTrips(CronJob, cronJob)],
  ["a ReplicationController", () => assertRoundTrips(ReplicationController, replicationController)],
  ["a ReplicationController scaled to zero", () => assertRoundTrips(ReplicationController, scaledDownReplicationController)],
  ["a HorizontalPodAutoscaler with every metric type", () => assertRoundTrips(HorizontalPodAutoscaler, hpa)],
  ["a new HorizontalPodAutoscaler", () => assertRoundTrips(HorizontalPodAutoscaler, newHpa)],
  ["a held Lease", () => assertRoundTrips(Lease, lease)],
  ["a released Lease", () => assertRoundTrips(Lease, releasedLease)],
  ["a PriorityClass", () => assertRoundTrips(PriorityClass, priorityClass)],
  ["a PriorityClass of value 0", () => assertRoundTrips(PriorityClass, zeroPriorityClass)],
  ["a StorageClass", () => assertRoundTrips(StorageClass, storageClass)],
  ["an Ingress", () => assertRoundTrips(Ingress, ingress)],
  ["an Ingress without a load balancer", () => assertRoundTrips(Ingress, newIngress)],
  ["an EndpointSlice", () => assertRoundTrips(EndpointSlice, endpointSlice)],
];

for (const [name, check] of cases) {
  test(`${name} round-trips`, () => {
    check();
  });
}

test("the introduction's Deployment reads as typed fields", () => {
  const d = Deployment.fromJSON(nginxDeployment);
  assert.equal(d.spec?.replicas, 2);
  assert.equal(d.spec?.template?.spec?.containers[0]?.image, "nginx:1.7.9");
  assert.equal(d.spec?.template?.spec?.containers[0]?.ports[0]?.containerPort, 80);
  assert.equal(d.spec?.strategy, undefined);
});

test("replicas: absent and 0 stay distinct", () => {
  assert.equal(Deployment.fromJSON({ spec: {} }).spec?.replicas, undefined);
  assert.equal(Deployment.fromJSON({ spec: { replicas: 0 } }).spec?.replicas, 0);
  assert.equal(Job.fromJSON({ spec: {} }).spec?.suspend, undefined);
});

test("ControllerRevision data keeps an arbitrary object, explicit nulls included", () => {
  const revision = ControllerRevision.decode(ControllerRevision.encode(ControllerRevision.fromJSON(controllerRevision)).finish());
  assert.deepEqual(revision.data, controllerRevision.data);
});

test("IntOrString and strategic-merge options are in the embedded descriptors", () => {
  const { intOrString, mergeKey, patchStrategy, field } = apiOptions();
  for (const [message, name] of [
    ["kubeplane.apps.v1.RollingUpdateDeployment", "max_surge"],
    ["kubeplane.apps.v1.RollingUpdateDeployment", "max_unavailable"],
    ["kubeplane.apps.v1.RollingUpdateDaemonSet", "max_surge"],
    ["kubeplane.apps.v1.RollingUpdateDaemonSet", "max_unavailable"],
    ["kubeplane.apps.v1.RollingUpdateStatefulSetStrategy", "max_unavailable"],
  ] as const) {
    assert.equal(getOption(field(message, name), intOrString), true, `${message}.${name}`);
  }
  for (const message of [
    "kubeplane.apps.v1.DeploymentStatus",
    "kubeplane.apps.v1.ReplicaSetStatus",
    "kubeplane.apps.v1.DaemonSetStatus",
    "kubeplane.apps.v1.StatefulSetStatus",
    "kubeplane.batch.v1.JobStatus",
    "kubeplane.core.v1.ReplicationControllerStatus",
    "kubeplane.autoscaling.v2.HorizontalPodAutoscalerStatus",
  ]) {
    const conditions = field(message, "conditions");
    assert.equal(getOption(conditions, mergeKey), "type", message);
    assert.equal(getOption(conditions, patchStrategy), "merge", message);
  }
  assert.equal(getOption(field("kubeplane.apps.v1.DeploymentSpec", "strategy"), patchStrategy), "retainKeys");
});
