// Unit tests of a StatefulSet pod's identity and claims: ordinals, stable names, labels, claim volumes and ownership.
import assert from "node:assert/strict";
import { test } from "node:test";
import { appsV1ControllerRevision, appsV1StatefulSet } from "@kubeplane/api";
import { CONTROLLER_REVISION_HASH } from "../util/controller-history.js";
import { claimFor, claimName } from "./claims.js";
import { POD_INDEX_LABEL, POD_NAME_LABEL, ordinalOf, statefulPod } from "./identity.js";

const set = (whenDeleted = ""): appsV1StatefulSet.StatefulSet =>
  appsV1StatefulSet.StatefulSet.fromPartial({
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: { name: "web", namespace: "default", uid: "set-uid" },
    spec: {
      serviceName: "web-headless",
      selector: { matchLabels: { app: "web" } },
      template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "c", image: "i" }] } },
      volumeClaimTemplates: [{ metadata: { name: "data" } }],
      persistentVolumeClaimRetentionPolicy: { whenDeleted, whenScaled: "" },
    },
  });
const revision = appsV1ControllerRevision.ControllerRevision.fromPartial({ metadata: { name: "web-abc" } });

test("ordinals are read only from names the set makes", () => {
  assert.equal(ordinalOf("web", "web-0"), 0);
  assert.equal(ordinalOf("web", "web-12"), 12);
  assert.equal(ordinalOf("web", "web-012"), undefined);
  assert.equal(ordinalOf("web", "webby-1"), undefined);
  assert.equal(ordinalOf("web", "web-x"), undefined);
});

test("a stateful pod has its stable name, hostname, subdomain, identity labels and claim volume", () => {
  const s = set();
  const pod = statefulPod(s, revision, 2, s.spec!.template!);
  assert.equal(pod.metadata!.name, "web-2");
  assert.equal(pod.spec!.hostname, "web-2");
  assert.equal(pod.spec!.subdomain, "web-headless");
  assert.deepEqual(pod.metadata!.labels, { app: "web", [POD_NAME_LABEL]: "web-2", [POD_INDEX_LABEL]: "2", [CONTROLLER_REVISION_HASH]: "web-abc" });
  assert.equal(pod.spec!.volumes.find((v) => v.name === "data")?.persistentVolumeClaim?.claimName, claimName("data", "web", 2));
  assert.equal(pod.metadata!.ownerReferences[0]?.uid, "set-uid");
});

test("claims outlive the set unless whenDeleted is Delete, where the set owns them without controlling", () => {
  const template = set().spec!.volumeClaimTemplates[0]!;
  const kept = claimFor(set(), template, 1);
  assert.equal(kept.metadata!.name, "data-web-1");
  assert.deepEqual(kept.metadata!.labels, { app: "web" });
  assert.deepEqual(kept.metadata!.ownerReferences, []);
  const owned = claimFor(set("Delete"), template, 1).metadata!.ownerReferences[0];
  assert.equal(owned?.uid, "set-uid");
  assert.equal(owned?.controller, false);
});
