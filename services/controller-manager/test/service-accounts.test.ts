// The serviceaccount and root-ca-cert-publisher controllers on a real apiserver: every namespace gets a `default`
// ServiceAccount and the kube-root-ca.crt ConfigMap, and both come back when deleted or changed.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, test } from "node:test";
import { isNotFound, kindFor, type coreV1Config, type KindInfo } from "@kubeplane/api";
import { testPkiNow, waitFor } from "@kubeplane/testing";
import { startCmCluster, type CmCluster } from "./harness.js";

const namespaces = kindFor("v1", "Namespace") as KindInfo<coreV1Config.Namespace>;
const serviceAccounts = kindFor("v1", "ServiceAccount") as KindInfo<coreV1Config.ServiceAccount>;
const configMaps = kindFor("v1", "ConfigMap") as KindInfo<coreV1Config.ConfigMap>;
let cluster: CmCluster;
let rootCa: string;

before(async () => {
  cluster = await startCmCluster();
  rootCa = readFileSync(testPkiNow().caFile, "utf8");
  await cluster.startControllerManager({ controllers: ["serviceaccount", "root-ca-cert-publisher"], rootCaFile: testPkiNow().caFile });
});

after(async () => {
  await cluster?.stop();
});

async function find<T>(get: () => Promise<T>): Promise<T | undefined> {
  try {
    return await get();
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

const defaultSa = (ns: string): Promise<coreV1Config.ServiceAccount | undefined> => find(async () => (await cluster.client.get(serviceAccounts, ns, "default")) as coreV1Config.ServiceAccount);
const rootCaMap = (ns: string): Promise<coreV1Config.ConfigMap | undefined> => find(async () => (await cluster.client.get(configMaps, ns, "kube-root-ca.crt")) as coreV1Config.ConfigMap);

test("the system namespaces and a new one get a default ServiceAccount and kube-root-ca.crt with the cluster CA", async () => {
  await cluster.client.create(namespaces, namespaces.codec.fromPartial({ apiVersion: "v1", kind: "Namespace", metadata: { name: "team-a" } }));
  for (const ns of ["default", "kube-system", "kube-public", "team-a"]) {
    await waitFor(async () => (await defaultSa(ns)) !== undefined, { timeoutMs: 20_000, message: `default ServiceAccount in ${ns}` });
    await waitFor(async () => (await rootCaMap(ns))?.data["ca.crt"] === rootCa, { timeoutMs: 20_000, message: `kube-root-ca.crt in ${ns}` });
  }
  const cm = (await rootCaMap("team-a"))!;
  assert.deepEqual(Object.keys(cm.data), ["ca.crt"]);
  assert.match(cm.metadata!.annotations["kubernetes.io/description"] ?? "", /verify the kube-apiserver/);
});

test("a deleted default ServiceAccount is recreated (a new uid); a changed or deleted kube-root-ca.crt is restored", async () => {
  await waitFor(async () => (await defaultSa("team-a")) !== undefined, { timeoutMs: 20_000, message: "default ServiceAccount in team-a" });
  const before = (await defaultSa("team-a"))!;
  await cluster.client.delete(serviceAccounts, "team-a", "default");
  await waitFor(async () => {
    const sa = await defaultSa("team-a");
    return sa !== undefined && sa.metadata!.uid !== before.metadata!.uid;
  }, { timeoutMs: 20_000, message: "default ServiceAccount recreated" });

  await waitFor(async () => (await rootCaMap("team-a")) !== undefined, { timeoutMs: 20_000, message: "kube-root-ca.crt in team-a" });
  const cm = (await rootCaMap("team-a"))!;
  await cluster.client.update(configMaps, { ...cm, data: { "ca.crt": "forged" } } as coreV1Config.ConfigMap);
  await waitFor(async () => (await rootCaMap("team-a"))?.data["ca.crt"] === rootCa, { timeoutMs: 20_000, message: "kube-root-ca.crt restored" });
  await cluster.client.delete(configMaps, "team-a", "kube-root-ca.crt");
  await waitFor(async () => (await rootCaMap("team-a"))?.data["ca.crt"] === rootCa, { timeoutMs: 20_000, message: "kube-root-ca.crt recreated" });
});
