// Integration test of the clusterrole-aggregation controller: a ClusterRole labelled aggregate-to-view extends view, on a real apiserver with RBAC.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { kindFor, rbacV1, type KindInfo } from "@kubeplane/api";
import { waitFor } from "@kubeplane/testing";
import { startCmCluster, type CmCluster } from "./harness.js";

const clusterRoles = kindFor("rbac.authorization.k8s.io/v1", "ClusterRole") as KindInfo<rbacV1.ClusterRole>;
let cluster: CmCluster;

before(async () => {
  cluster = await startCmCluster();
  const cm = await cluster.startControllerManager({ controllers: ["clusterrole-aggregation"] });
  await cm.manager.informers.waitForCacheSync(AbortSignal.timeout(30_000));
});

after(async () => {
  await cluster?.stop();
});

const hasWidgets = (role: rbacV1.ClusterRole): boolean => role.rules.some((r) => r.resources.includes("widgets"));

test("a ClusterRole labelled aggregate-to-view adds its rules to view, then edit and admin; deleting it takes them away", async () => {
  const { client } = cluster;
  await client.create(
    clusterRoles,
    rbacV1.ClusterRole.fromPartial({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: "widgets-view", labels: { "rbac.authorization.k8s.io/aggregate-to-view": "true" } },
      rules: [{ verbs: ["get", "list", "watch"], apiGroups: ["example.com"], resources: ["widgets"] }],
    }),
  );
  // The controller-manager runs as system:kube-controller-manager: RBAC lets it rewrite aggregated roles.
  for (const name of ["view", "edit", "admin"]) {
    await waitFor(async () => hasWidgets((await client.get(clusterRoles, "", name)) as rbacV1.ClusterRole), { timeoutMs: 10_000, message: `${name} aggregates widgets` });
  }
  const view = (await client.get(clusterRoles, "", "view")) as rbacV1.ClusterRole;
  assert.ok(view.rules.some((r) => r.resources.includes("pods")), "view keeps the default rules");
  await client.delete(clusterRoles, "", "widgets-view");
  await waitFor(async () => !hasWidgets((await client.get(clusterRoles, "", "admin")) as rbacV1.ClusterRole), { timeoutMs: 10_000, message: "admin no longer has widgets" });
});
