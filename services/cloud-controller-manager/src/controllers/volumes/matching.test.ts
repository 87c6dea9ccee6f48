// Unit tests of PV matching for static binding and of node affinity.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { coreV1Node, coreV1Volume } from "@kubeplane/api";
import { findMatchingVolume, nodeAffinityAdmits } from "./matching.js";

function pv(name: string, storage: string, opts: { cls?: string; modes?: string[]; labels?: Record<string, string>; claim?: string; host?: string; phase?: string } = {}): coreV1Volume.PersistentVolume {
  return coreV1Volume.PersistentVolume.fromPartial({
    metadata: { name, labels: opts.labels ?? {} },
    spec: {
      capacity: { storage },
      accessModes: opts.modes ?? ["ReadWriteOnce"],
      storageClassName: opts.cls ?? "manual",
      claimRef: opts.claim ? { namespace: "ns", name: opts.claim, uid: "" } : undefined,
      nodeAffinity: opts.host ? { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In", values: [opts.host] }] }] } } : undefined,
    },
    status: { phase: opts.phase ?? "Available" },
  });
}

function pvc(storage: string, opts: { cls?: string; modes?: string[]; selector?: Record<string, string> } = {}): coreV1Volume.PersistentVolumeClaim {
  return coreV1Volume.PersistentVolumeClaim.fromPartial({
    metadata: { name: "c", namespace: "ns", uid: "u1" },
    spec: { accessModes: opts.modes ?? ["ReadWriteOnce"], resources: { requests: { storage } }, storageClassName: opts.cls ?? "manual", selector: opts.selector ? { matchLabels: opts.selector } : undefined },
  });
}

const node = (name: string): coreV1Node.Node => coreV1Node.Node.fromPartial({ metadata: { name, labels: { "kubernetes.io/hostname": name } } });

describe("findMatchingVolume", () => {
  it("picks the smallest PV with the class, modes and capacity", () => {
    const volumes = [pv("big", "10Gi"), pv("small", "1Gi"), pv("mid", "3Gi"), pv("rwx", "2Gi", { modes: ["ReadWriteMany"] }), pv("other", "2Gi", { cls: "fast" })];
    assert.equal(findMatchingVolume(pvc("2Gi"), volumes)?.metadata?.name, "mid");
    assert.equal(findMatchingVolume(pvc("2Gi", { modes: ["ReadWriteMany"] }), volumes)?.metadata?.name, "rwx");
    assert.equal(findMatchingVolume(pvc("20Gi"), volumes), undefined);
  });

  it("skips claimed, released and unselected PVs and prefers one pre-bound to the claim", () => {
    const volumes = [pv("taken", "1Gi", { claim: "other" }), pv("released", "1Gi", { phase: "Released" }), pv("unlabelled", "1Gi"), pv("mine", "5Gi", { claim: "c" }), pv("labelled", "2Gi", { labels: { tier: "gold" } })];
    assert.equal(findMatchingVolume(pvc("1Gi"), volumes)?.metadata?.name, "mine");
    assert.equal(findMatchingVolume(pvc("1Gi", { selector: { tier: "gold" } }), volumes.filter((v) => v.metadata?.name !== "mine"))?.metadata?.name, "labelled");
  });

  it("for a node, only PVs whose affinity admits it", () => {
    const volumes = [pv("on-a", "1Gi", { host: "a" }), pv("on-b", "1Gi", { host: "b" })];
    assert.equal(findMatchingVolume(pvc("1Gi"), volumes, node("b"))?.metadata?.name, "on-b");
    assert.equal(nodeAffinityAdmits(volumes[0]!, node("a")), true);
    assert.equal(nodeAffinityAdmits(volumes[0]!, node("b")), false);
  });
});
