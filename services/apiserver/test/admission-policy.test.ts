// PodSecurity, LimitRanger and ResourceQuota through a real apiserver (etcd, NATS, TLS): refusals name the policy and
// what it refused, defaults land on containers, quota usage is charged before the object is stored.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { isForbidden, isInvalid, kindFor, type ApiError, type ApiObject, type coreV1Pod, type coreV1ResourceQuota, type KindInfo } from "@kubeplane/api";
import { ApiClient } from "@kubeplane/client";
import { clientTls, waitFor } from "@kubeplane/testing";
import { startTestCluster, type TestCluster } from "./harness.js";

const namespaces = kindFor("v1", "Namespace")!;
const pods = kindFor("v1", "Pod") as KindInfo<coreV1Pod.Pod>;
const limitRanges = kindFor("v1", "LimitRange")!;
const quotas = kindFor("v1", "ResourceQuota") as KindInfo<coreV1ResourceQuota.ResourceQuota>;

let cluster: TestCluster;
before(async () => {
  cluster = await startTestCluster();
});
after(async () => {
  await cluster?.stop();
});

async function refusal(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (err) {
    return err as ApiError;
  }
  assert.fail("the call succeeded");
}

async function namespace(name: string, labels: Record<string, string> = {}): Promise<void> {
  await cluster.client.create(namespaces, namespaces.codec.fromPartial({ apiVersion: "v1", kind: "Namespace", metadata: { name, labels } }));
}

function pod(ns: string, name: string, securityContext?: Record<string, unknown>, resources?: Record<string, unknown>): ApiObject {
  return pods.codec.fromJSON({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: ns },
    spec: { containers: [{ name: "c", image: "nginx:1.27", ...(securityContext ? { securityContext } : {}), ...(resources ? { resources } : {}) }] },
  });
}

const restricted = { allowPrivilegeEscalation: false, runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" }, capabilities: { drop: ["ALL"] } };

test("enforce=restricted refuses a privileged pod naming PodSecurity and the violated controls, and accepts a compliant pod", async () => {
  await namespace("psa-restricted", { "pod-security.kubernetes.io/enforce": "restricted" });
  const err = await refusal(cluster.client.create(pods, pod("psa-restricted", "priv", { privileged: true })));
  assert.ok(isForbidden(err), err.message);
  assert.equal(
    err.message,
    'pods "priv" is forbidden: violates PodSecurity "restricted:latest": privileged (container "c" must not set securityContext.privileged=true), ' +
      'allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false), ' +
      'unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"]), ' +
      'runAsNonRoot != true (pod or container "c" must set securityContext.runAsNonRoot=true), ' +
      'seccompProfile (pod or container "c" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
  );
  const created = await cluster.client.create(pods, pod("psa-restricted", "ok", restricted));
  assert.ok(created.metadata?.uid);
});

test("warn mode answers with a warning; a malformed pod-security label is Invalid", async () => {
  await namespace("psa-warn", { "pod-security.kubernetes.io/warn": "baseline" });
  const warnings: string[] = [];
  const client = ApiClient.connect({ ...clientTls(), server: cluster.apiservers[0]!.addresses.grpcAddress, onWarning: (w) => warnings.push(w) });
  try {
    await client.create(pods, pod("psa-warn", "hostnet", undefined));
    await client.create(pods, pods.codec.fromJSON({ apiVersion: "v1", kind: "Pod", metadata: { name: "hn", namespace: "psa-warn" }, spec: { hostNetwork: true, containers: [{ name: "c", image: "i" }] } }));
  } finally {
    client.close();
  }
  assert.deepEqual(warnings, ['would violate PodSecurity "baseline:latest": host namespaces (hostNetwork=true)']);
  const err = await refusal(namespace("psa-bad", { "pod-security.kubernetes.io/enforce": "strict" }));
  assert.ok(isInvalid(err), err.message);
  assert.match(err.message, /metadata\.labels\[pod-security\.kubernetes\.io\/enforce\]: Invalid value: "strict": must be one of privileged, baseline, restricted/);
});

test("a LimitRange's defaults land on a container that states none, and its max refuses a larger limit", async () => {
  await namespace("limits");
  await cluster.client.create(
    limitRanges,
    limitRanges.codec.fromJSON({ apiVersion: "v1", kind: "LimitRange", metadata: { name: "defaults", namespace: "limits" }, spec: { limits: [{ type: "Container", max: { cpu: "2" }, default: { cpu: "500m", memory: "128Mi" }, defaultRequest: { cpu: "100m" } }] } }),
  );
  // LimitRanger reads LimitRanges from a watch-fed cache (milliseconds behind etcd, as Kubernetes' informer): a dry
  // run shows when it has seen this one.
  await waitFor(async () => ((await cluster.client.create(pods, pod("limits", "probe"), { dryRun: true })) as coreV1Pod.Pod).spec?.containers[0]?.resources?.limits.cpu === "500m", {
    timeoutMs: 10_000,
    message: "LimitRanger sees the new LimitRange",
  });
  const created = (await cluster.client.create(pods, pod("limits", "bare"))) as coreV1Pod.Pod;
  assert.deepEqual(created.spec?.containers[0]?.resources?.limits, { cpu: "500m", memory: "128Mi" });
  assert.deepEqual(created.spec?.containers[0]?.resources?.requests, { cpu: "100m", memory: "128Mi" });
  assert.match(created.metadata?.annotations["kubernetes.io/limit-ranger"] ?? "", /^LimitRanger plugin set: cpu, memory request for container c; cpu, memory limit for container c$/);
  const err = await refusal(cluster.client.create(pods, pod("limits", "big", undefined, { limits: { cpu: "4" } })));
  assert.equal(err.message, 'pods "big" is forbidden: maximum cpu usage per Container is 2, but limit is 4');
});

test("a ResourceQuota of pods: 2 refuses the third pod with exceeded quota, having charged status.used", async () => {
  await namespace("quota");
  const quota = (await cluster.client.create(
    quotas,
    quotas.codec.fromJSON({ apiVersion: "v1", kind: "ResourceQuota", metadata: { name: "pods", namespace: "quota" }, spec: { hard: { pods: "2", "requests.cpu": "1" } } }),
  )) as coreV1ResourceQuota.ResourceQuota;
  // What the resourcequota controller writes first (its own test runs it): hard from spec, nothing used yet.
  const hard = { pods: "2", "requests.cpu": "1" };
  await cluster.client.updateStatus(quotas, { ...quota, status: { hard, used: { pods: "0", "requests.cpu": "0" } } } as coreV1ResourceQuota.ResourceQuota);
  // The plugin learns which namespaces have quotas from a watch-fed cache; a pod without a cpu request shows when it has.
  const refusedForCpu = (): Promise<boolean> =>
    cluster.client.create(pods, pod("quota", "probe"), { dryRun: true }).then(
      () => false,
      (err: Error) => err.message === 'pods "probe" is forbidden: failed quota: pods: must specify requests.cpu for: c',
    );
  await waitFor(refusedForCpu, {
    timeoutMs: 10_000,
    message: "ResourceQuota sees the new quota",
  });
  const cpu = { requests: { cpu: "100m" } };
  await cluster.client.create(pods, pod("quota", "a", undefined, cpu));
  await cluster.client.create(pods, pod("quota", "b", undefined, cpu));
  const err = await refusal(cluster.client.create(pods, pod("quota", "c", undefined, cpu)));
  assert.ok(isForbidden(err), err.message);
  assert.equal(err.message, 'pods "c" is forbidden: exceeded quota: pods, requested: pods=1, used: pods=2, limited: pods=2');
  const stored = (await cluster.client.get(quotas, "quota", "pods")) as coreV1ResourceQuota.ResourceQuota;
  assert.deepEqual(stored.status?.used, { pods: "2", "requests.cpu": "200m" });
});
