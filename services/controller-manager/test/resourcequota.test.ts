// The resourcequota controller with the ResourceQuota admission plugin on a real apiserver: the controller fills
// status, admission refuses past the hard limit, and a delete gives quota back.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { isForbidden, kindFor, type ApiError, type coreV1ResourceQuota, type KindInfo } from "@kubeplane/api";
import { waitFor } from "@kubeplane/testing";
import { pods, startCmCluster, type CmCluster } from "./harness.js";

const namespaces = kindFor("v1", "Namespace")!;
const serviceAccounts = kindFor("v1", "ServiceAccount")!;
const configMaps = kindFor("v1", "ConfigMap")!;
const quotas = kindFor("v1", "ResourceQuota") as KindInfo<coreV1ResourceQuota.ResourceQuota>;
let cluster: CmCluster;

before(async () => {
  cluster = await startCmCluster();
  await cluster.startControllerManager({ controllers: ["resourcequota", "serviceaccount"] });
});

after(async () => {
  await cluster?.stop();
});

const pod = (name: string) => pods.codec.fromJSON({ apiVersion: "v1", kind: "Pod", metadata: { name, namespace: "team" }, spec: { containers: [{ name: "c", image: "nginx:1.27" }] } });

async function used(): Promise<Record<string, string> | undefined> {
  return ((await cluster.client.get(quotas, "team", "objects")) as coreV1ResourceQuota.ResourceQuota).status?.used;
}

test("the controller counts a new quota, admission stops the third pod, and deleting a pod gives its share back", async () => {
  const { client } = cluster;
  await client.create(namespaces, namespaces.codec.fromPartial({ apiVersion: "v1", kind: "Namespace", metadata: { name: "team" } }));
  await client.create(configMaps, configMaps.codec.fromJSON({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "settings", namespace: "team" } }));
  await waitFor(async () => (await client.list(serviceAccounts, { namespace: "team" })).items.length > 0, { timeoutMs: 20_000, message: "default ServiceAccount" });
  await client.create(quotas, quotas.codec.fromJSON({ apiVersion: "v1", kind: "ResourceQuota", metadata: { name: "objects", namespace: "team" }, spec: { hard: { pods: "2", configmaps: "5" } } }));
  await waitFor(async () => (await used())?.configmaps === "1", { timeoutMs: 20_000, message: "the controller's first count" });
  assert.deepEqual(await used(), { pods: "0", configmaps: "1" });

  await client.create(pods, pod("a"));
  await client.create(pods, pod("b"));
  let refusal: ApiError | undefined;
  await client.create(pods, pod("c")).catch((err: ApiError) => (refusal = err));
  assert.ok(refusal && isForbidden(refusal), String(refusal));
  assert.equal(refusal.message, 'pods "c" is forbidden: exceeded quota: objects, requested: pods=1, used: pods=2, limited: pods=2');

  await client.delete(pods, "team", "a", { gracePeriodSeconds: 0 });
  await waitFor(async () => (await used())?.pods === "1", { timeoutMs: 20_000, message: "quota given back after the delete" });
  await client.create(pods, pod("c"));
  assert.equal((await used())?.pods, "2");
});
