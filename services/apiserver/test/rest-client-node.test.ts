// @kubernetes/client-node (the JavaScript client library) against the REST API: its informer lists and watches pods and sees changes.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { CoreV1Api, KubeConfig, PatchStrategy, makeInformer, setHeaderOptions, type V1Pod } from "@kubernetes/client-node";
import { clientTls, testPki, waitFor } from "@kubeplane/testing";
import { startTestCluster, type TestCluster } from "./harness.js";

await testPki();

const pod = (name: string): V1Pod => ({ apiVersion: "v1", kind: "Pod", metadata: { name, labels: { app: "informed" } }, spec: { containers: [{ name: "main", image: "busybox:1.36" }] } });

describe("REST API: @kubernetes/client-node", () => {
  let cluster: TestCluster;
  let kc: KubeConfig;

  before(async () => {
    cluster = await startTestCluster();
    const tls = clientTls("admin");
    kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: "kubeplane", server: cluster.apiservers[0]!.restUrl!, caFile: tls.caFile, skipTLSVerify: false }],
      users: [{ name: "admin", certFile: tls.certFile, keyFile: tls.keyFile }],
      contexts: [{ name: "kubeplane", cluster: "kubeplane", user: "admin", namespace: "default" }],
      currentContext: "kubeplane",
    });
  });
  after(async () => {
    await cluster?.stop();
  });

  test("an informer lists the pods there are, then sees a pod added, changed and deleted", async () => {
    const api = kc.makeApiClient(CoreV1Api);
    await api.createNamespacedPod({ namespace: "default", body: pod("before") });
    const informer = makeInformer(kc, "/api/v1/namespaces/default/pods", () => api.listNamespacedPod({ namespace: "default" }));
    const seen: string[] = [];
    informer.on("add", (p) => seen.push(`add ${p.metadata?.name}`));
    informer.on("update", (p) => seen.push(`update ${p.metadata?.name} ${p.metadata?.labels?.["stage"] ?? ""}`));
    informer.on("delete", (p) => seen.push(`delete ${p.metadata?.name}`));
    const errors: unknown[] = [];
    informer.on("error", (err) => errors.push(err));
    await informer.start();
    try {
      await waitFor(() => seen.includes("add before"), { message: "the listed pod" });
      await api.createNamespacedPod({ namespace: "default", body: pod("after") });
      await waitFor(() => seen.includes("add after"), { message: "the pod created after the list" });
      await api.patchNamespacedPod({ namespace: "default", name: "after", body: { metadata: { labels: { stage: "two" } } } }, setHeaderOptions("Content-Type", PatchStrategy.MergePatch));
      await waitFor(() => seen.includes("update after two"), { message: "the change" });
      await api.deleteNamespacedPod({ namespace: "default", name: "after", gracePeriodSeconds: 0 });
      await waitFor(() => seen.includes("delete after"), { message: "the deletion" });
      assert.deepEqual(
        informer.list("default").map((p) => p.metadata?.name),
        ["before"],
      );
      assert.deepEqual(errors, []);
    } finally {
      await informer.stop();
    }
  });
});
