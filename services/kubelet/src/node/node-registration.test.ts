import assert from "node:assert/strict";
import { test } from "node:test";
import { coreV1Node } from "@kubeplane/api";
import { nodeForRegistration } from "./node-registration.js";

const status = coreV1Node.NodeStatus.fromPartial({});

test("a kubelet with --pod-cidr creates its Node with that spec.podCIDR, so node-ipam occupies it rather than assigning another", () => {
  const node = nodeForRegistration({ nodeName: "worker-1", labels: { "kubernetes.io/hostname": "worker-1" }, taints: [], podCidr: "10.244.1.0/24", status });
  assert.equal(node.spec?.podCidr, "10.244.1.0/24");
  assert.deepEqual(node.spec?.podCidrs, ["10.244.1.0/24"]);
  assert.equal(node.metadata?.name, "worker-1");
});

test("without --pod-cidr the Node is created without one (node-ipam assigns it)", () => {
  const node = nodeForRegistration({ nodeName: "worker-2", labels: {}, taints: [coreV1Node.Taint.fromPartial({ key: "k", effect: "NoSchedule" })], status });
  assert.equal(node.spec?.podCidr, "");
  assert.deepEqual(node.spec?.podCidrs, []);
  assert.equal(node.spec?.taints[0]?.key, "k");
});
