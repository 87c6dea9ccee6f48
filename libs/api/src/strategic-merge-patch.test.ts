// Tests of the schema-driven strategic merge patch: lists by merge key, directives, maps and replaced lists.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { StrategicMergePatchError, strategicMergePatch } from "./strategic-merge-patch.js";

const DEPLOYMENT = "kubeplane.apps.v1.Deployment";
const deployment = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "web", labels: { app: "web", tier: "front" } },
  spec: {
    replicas: 2,
    template: {
      metadata: { labels: { app: "web" } },
      spec: {
        containers: [
          { name: "app", image: "nginx:1.26", ports: [{ containerPort: 80, name: "http" }], env: [{ name: "A", value: "1" }, { name: "B", value: "2" }] },
          { name: "sidecar", image: "busybox:1.36", args: ["sleep", "1d"] },
        ],
        tolerations: [{ key: "a", operator: "Exists" }],
      },
    },
  },
};
const containers = (o: unknown): { name: string; image: string; env?: unknown; ports?: unknown; args?: unknown }[] =>
  (o as typeof deployment).spec.template.spec.containers as never;

describe("strategicMergePatch", () => {
  it("merges containers by name: changes one field of one container, keeps the other", () => {
    const out = strategicMergePatch(DEPLOYMENT, deployment, { spec: { template: { spec: { containers: [{ name: "app", image: "nginx:1.27" }] } } } });
    assert.deepEqual(containers(out).map((c) => [c.name, c.image]), [["app", "nginx:1.27"], ["sidecar", "busybox:1.36"]]);
    assert.deepEqual(containers(out)[0]?.env, containers(deployment)[0]?.env, "fields the patch does not name stay");
    assert.equal(containers(deployment)[0]?.image, "nginx:1.26", "the original is not modified");
  });

  it("merges nested keyed lists (env by name, ports by containerPort) and appends new elements", () => {
    const out = strategicMergePatch(DEPLOYMENT, deployment, {
      spec: { template: { spec: { containers: [{ name: "app", env: [{ name: "B", value: "20" }, { name: "C", value: "3" }], ports: [{ containerPort: 443 }] }, { name: "new", image: "x" }] } } },
    });
    const app = containers(out)[0];
    assert.deepEqual(app?.env, [{ name: "A", value: "1" }, { name: "B", value: "20" }, { name: "C", value: "3" }]);
    assert.deepEqual(app?.ports, [{ containerPort: 80, name: "http" }, { containerPort: 443 }]);
    assert.deepEqual(containers(out).map((c) => c.name), ["app", "sidecar", "new"]);
  });

  it("replaces lists without a strategy (args, tolerations) and deletes keys set to null", () => {
    const out = strategicMergePatch(DEPLOYMENT, deployment, {
      metadata: { labels: { tier: null, env: "prod" } },
      spec: { template: { spec: { containers: [{ name: "sidecar", args: ["sleep", "2d"] }], tolerations: [{ key: "b", operator: "Exists" }] } } },
    }) as typeof deployment;
    assert.deepEqual(out.metadata.labels, { app: "web", env: "prod" });
    assert.deepEqual(containers(out)[1]?.args, ["sleep", "2d"]);
    assert.deepEqual(out.spec.template.spec.tolerations, [{ key: "b", operator: "Exists" }]);
  });

  it("honours $patch: delete on an element, $patch: replace on a list and on an object", () => {
    let out = strategicMergePatch(DEPLOYMENT, deployment, { spec: { template: { spec: { containers: [{ name: "sidecar", $patch: "delete" }] } } } });
    assert.deepEqual(containers(out).map((c) => c.name), ["app"]);
    out = strategicMergePatch(DEPLOYMENT, deployment, { spec: { template: { spec: { containers: [{ name: "only", image: "i" }, { $patch: "replace" }] } } } });
    assert.deepEqual(containers(out), [{ name: "only", image: "i" }]);
    out = strategicMergePatch(DEPLOYMENT, deployment, { metadata: { labels: { $patch: "replace", x: "y" } } });
    assert.deepEqual((out as typeof deployment).metadata.labels, { x: "y" });
  });

  it("ignores $setElementOrder, applies $deleteFromPrimitiveList and $retainKeys", () => {
    const out = strategicMergePatch(DEPLOYMENT, deployment, {
      spec: { template: { spec: { "$setElementOrder/containers": [{ name: "app" }], containers: [{ name: "sidecar", "$deleteFromPrimitiveList/args": ["1d"] }] } } },
    });
    assert.deepEqual(containers(out)[1]?.args, ["sleep"]);
    const retained = strategicMergePatch(DEPLOYMENT, deployment, { spec: { $retainKeys: ["template"], replicas: 5 } }) as { spec: Record<string, unknown> };
    assert.deepEqual(Object.keys(retained.spec), ["template"]);
  });

  it("merges conditions of a status by type", () => {
    const pod = { status: { conditions: [{ type: "Ready", status: "False" }, { type: "PodScheduled", status: "True" }] } };
    const out = strategicMergePatch("kubeplane.core.v1.Pod", pod, { status: { conditions: [{ type: "Ready", status: "True" }] } }) as typeof pod;
    assert.deepEqual(out.status.conditions, [{ type: "Ready", status: "True" }, { type: "PodScheduled", status: "True" }]);
  });

  it("refuses an element without its merge key and an unknown directive", () => {
    assert.throws(() => strategicMergePatch(DEPLOYMENT, deployment, { spec: { template: { spec: { containers: [{ image: "x" }] } } } }), StrategicMergePatchError);
    assert.throws(() => strategicMergePatch(DEPLOYMENT, deployment, { metadata: { $patch: "explode" } }), /unknown patch type/);
    assert.throws(() => strategicMergePatch(DEPLOYMENT, deployment, []), StrategicMergePatchError);
  });
});
