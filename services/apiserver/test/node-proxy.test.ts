// Tests of how the apiserver finds a node's kubelet before proxying logs, exec and stats (the container rule is tested in libs/api).
import assert from "node:assert/strict";
import { test } from "node:test";
import { coreV1Node } from "@kubeplane/api";
import { kubeletAddress } from "../src/node-proxy.js";

test("the kubelet is dialled at the node's InternalIP and daemonEndpoints.kubeletEndpoint.Port", () => {
  const node = (addresses: { type: string; address: string }[], port: number): coreV1Node.Node =>
    coreV1Node.Node.fromPartial({ metadata: { name: "n1" }, status: { addresses, daemonEndpoints: { kubeletEndpoint: { port } } } });
  assert.equal(kubeletAddress(node([{ type: "Hostname", address: "n1" }, { type: "InternalIP", address: "10.0.0.5" }], 10250)), "10.0.0.5:10250");
  assert.equal(kubeletAddress(node([{ type: "InternalIP", address: "fd00::5" }], 10250)), "[fd00::5]:10250");
  assert.equal(kubeletAddress(node([{ type: "Hostname", address: "n1" }], 10250)), "n1:10250");
  assert.throws(() => kubeletAddress(node([{ type: "InternalIP", address: "10.0.0.5" }], 0)), /node "n1" reports no kubelet endpoint/);
});
