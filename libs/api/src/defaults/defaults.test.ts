// Unit tests for applyDefaults: Kubernetes' defaults per kind, never overwriting set values.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Deployment } from "../gen/kubeplane/apps/v1/deployment.js";
import { Job } from "../gen/kubeplane/batch/v1/job.js";
import { Pod } from "../gen/kubeplane/core/v1/pod.js";
import { Service } from "../gen/kubeplane/core/v1/service.js";
import { kindFor } from "../kinds.js";
import { applyDefaults } from "./index.js";

function info(apiVersion: string, kind: string) {
  const k = kindFor(apiVersion, kind);
  assert.ok(k);
  return k;
}

test("a minimal nginx Deployment gets exactly the defaults kubectl shows for kubectl create deployment", () => {
  const d = Deployment.fromJSON({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "nginx", namespace: "default", labels: { app: "nginx" } },
    spec: { selector: { matchLabels: { app: "nginx" } }, template: { metadata: { labels: { app: "nginx" } }, spec: { containers: [{ name: "nginx", image: "nginx" }] } } },
  });
  applyDefaults(info("apps/v1", "Deployment"), d);
  assert.deepEqual((Deployment.toJSON(d) as { spec: unknown }).spec, {
    progressDeadlineSeconds: 600,
    replicas: 1,
    revisionHistoryLimit: 10,
    selector: { matchLabels: { app: "nginx" } },
    strategy: { rollingUpdate: { maxSurge: "25%", maxUnavailable: "25%" }, type: "RollingUpdate" },
    template: {
      metadata: { labels: { app: "nginx" } },
      spec: {
        containers: [
          { image: "nginx", imagePullPolicy: "Always", name: "nginx", resources: {}, terminationMessagePath: "/dev/termination-log", terminationMessagePolicy: "File" },
        ],
        dnsPolicy: "ClusterFirst",
        restartPolicy: "Always",
        schedulerName: "default-scheduler",
        securityContext: {},
        terminationGracePeriodSeconds: 30,
      },
    },
  });
});

test("defaults never overwrite values that are already set", () => {
  const d = Deployment.fromPartial({
    spec: {
      replicas: 0,
      revisionHistoryLimit: 2,
      strategy: { type: "Recreate" },
      template: { spec: { restartPolicy: "Never", terminationGracePeriodSeconds: 5, containers: [{ name: "a", image: "a:1", imagePullPolicy: "Never" }] } },
    },
  });
  applyDefaults(info("apps/v1", "Deployment"), d);
  assert.equal(d.spec?.replicas, 0);
  assert.equal(d.spec?.revisionHistoryLimit, 2);
  assert.deepEqual(d.spec?.strategy, { type: "Recreate", rollingUpdate: undefined });
  assert.equal(d.spec?.template?.spec?.restartPolicy, "Never");
  assert.equal(d.spec?.template?.spec?.terminationGracePeriodSeconds, 5);
  assert.equal(d.spec?.template?.spec?.containers[0]?.imagePullPolicy, "Never");
});

test("a tagged image defaults to IfNotPresent and probes, ports and fieldRefs get their defaults", () => {
  const pod = Pod.fromPartial({
    spec: {
      containers: [
        {
          name: "a",
          image: "registry:5000/app:1.2",
          ports: [{ containerPort: 80 }],
          env: [{ name: "NODE", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } }],
          livenessProbe: { httpGet: { port: "80" } },
          resources: { limits: { cpu: "1" } },
        },
      ],
      volumes: [{ name: "c", configMap: { name: "c" } }, { name: "e" }],
    },
  });
  applyDefaults(info("v1", "Pod"), pod);
  const c = pod.spec?.containers[0];
  assert.equal(c?.imagePullPolicy, "IfNotPresent");
  assert.equal(c?.ports[0]?.protocol, "TCP");
  assert.equal(c?.env[0]?.valueFrom?.fieldRef?.apiVersion, "v1");
  assert.deepEqual(
    [c?.livenessProbe?.timeoutSeconds, c?.livenessProbe?.periodSeconds, c?.livenessProbe?.successThreshold, c?.livenessProbe?.failureThreshold],
    [1, 10, 1, 3],
  );
  assert.deepEqual([c?.livenessProbe?.httpGet?.path, c?.livenessProbe?.httpGet?.scheme], ["/", "HTTP"]);
  assert.deepEqual(c?.resources?.requests, { cpu: "1" });
  assert.equal(pod.spec?.volumes[0]?.configMap?.defaultMode, 420);
  assert.deepEqual(pod.spec?.volumes[1]?.emptyDir, { medium: "" });
  assert.equal(pod.spec?.enableServiceLinks, true);
});

test("a Job's template gets no restartPolicy and the job gets completions, parallelism and backoffLimit", () => {
  const job = Job.fromPartial({ spec: { template: { spec: { containers: [{ name: "a", image: "busybox:1" }] } } } });
  applyDefaults(info("batch/v1", "Job"), job);
  assert.equal(job.spec?.template?.spec?.restartPolicy, "");
  assert.deepEqual(
    [job.spec?.completions, job.spec?.parallelism, job.spec?.backoffLimit, job.spec?.completionMode, job.spec?.suspend],
    [1, 1, 6, "NonIndexed", false],
  );
});

test("a Service gets type ClusterIP and TCP ports with targetPort = port; its IP families are left to the allocator", () => {
  const svc = Service.fromPartial({ spec: { ports: [{ port: 80 }], selector: { app: "web" } } });
  applyDefaults(info("v1", "Service"), svc);
  const s = svc.spec;
  assert.deepEqual([s?.type, s?.sessionAffinity, s?.internalTrafficPolicy, s?.ipFamilyPolicy, s?.ipFamilies], ["ClusterIP", "None", "Cluster", undefined, []]);
  assert.deepEqual([s?.ports[0]?.protocol, s?.ports[0]?.targetPort], ["TCP", "80"]);
  assert.equal(s?.externalTrafficPolicy, "");
});

test("NodePort services get externalTrafficPolicy Cluster", () => {
  const svc = Service.fromPartial({ spec: { type: "NodePort", ports: [{ port: 80, targetPort: "http" }] } });
  applyDefaults(info("v1", "Service"), svc);
  assert.equal(svc.spec?.externalTrafficPolicy, "Cluster");
  assert.equal(svc.spec?.ports[0]?.targetPort, "http");
});

test("DaemonSet, StatefulSet and CronJob get their update strategies and limits", () => {
  const ds = { apiVersion: "apps/v1", kind: "DaemonSet", spec: { minReadySeconds: 0, template: undefined } };
  applyDefaults(info("apps/v1", "DaemonSet"), ds);
  assert.deepEqual(ds.spec, { minReadySeconds: 0, template: undefined, updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: "1", maxSurge: "0" } }, revisionHistoryLimit: 10 });
  const sts = { apiVersion: "apps/v1", kind: "StatefulSet", spec: { podManagementPolicy: "", volumeClaimTemplates: [] } };
  applyDefaults(info("apps/v1", "StatefulSet"), sts);
  assert.deepEqual(sts.spec, {
    podManagementPolicy: "OrderedReady",
    volumeClaimTemplates: [],
    updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: "", partition: 0 } },
    persistentVolumeClaimRetentionPolicy: { whenDeleted: "Retain", whenScaled: "Retain" },
    replicas: 1,
    revisionHistoryLimit: 10,
  });
  const cj = { apiVersion: "batch/v1", kind: "CronJob", spec: { concurrencyPolicy: "" } };
  applyDefaults(info("batch/v1", "CronJob"), cj);
  assert.deepEqual(cj.spec, { concurrencyPolicy: "Allow", suspend: false, successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 1 });
});

test("Namespace, Secret, StorageClass, PriorityClass and HPA get their defaults", () => {
  const ns = { apiVersion: "v1", kind: "Namespace" } as { apiVersion: string; kind: string; spec?: unknown; status?: unknown };
  applyDefaults(info("v1", "Namespace"), ns);
  assert.deepEqual([ns.spec, ns.status], [{ finalizers: [] }, { phase: "Active", conditions: [] }]);
  const secret = { apiVersion: "v1", kind: "Secret", type: "" };
  applyDefaults(info("v1", "Secret"), secret);
  assert.equal(secret.type, "Opaque");
  const sc: { apiVersion: string; kind: string; [k: string]: unknown } = { apiVersion: "storage.k8s.io/v1", kind: "StorageClass" };
  applyDefaults(info("storage.k8s.io/v1", "StorageClass"), sc);
  assert.deepEqual([sc.reclaimPolicy, sc.volumeBindingMode], ["Delete", "Immediate"]);
  const pc: { apiVersion: string; kind: string; [k: string]: unknown } = { apiVersion: "scheduling.k8s.io/v1", kind: "PriorityClass" };
  applyDefaults(info("scheduling.k8s.io/v1", "PriorityClass"), pc);
  assert.equal(pc.preemptionPolicy, "PreemptLowerPriority");
  const hpa = { apiVersion: "autoscaling/v2", kind: "HorizontalPodAutoscaler", spec: { maxReplicas: 3, metrics: [] as unknown[] } as Record<string, unknown> };
  applyDefaults(info("autoscaling/v2", "HorizontalPodAutoscaler"), hpa);
  assert.equal(hpa.spec.minReplicas, 1);
  assert.deepEqual(hpa.spec.metrics, [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", value: "", averageValue: "", averageUtilization: 80 } } }]);
});
