// Tests of how the apiserver picks a pod's container and its node's kubelet before proxying logs, exec and stats.
import assert from "node:assert/strict";
import { test } from "node:test";
import { chooseContainer, coreV1Node, coreV1Pod, isApiError } from "@kubeplane/api";
import { kubeletAddress } from "../src/node-proxy.js";

const pod = (containers: string[], initContainers: string[] = []): coreV1Pod.Pod =>
  coreV1Pod.Pod.fromPartial({
    metadata: { name: "web", namespace: "default" },
    spec: { containers: containers.map((name) => ({ name })), initContainers: initContainers.map((name) => ({ name })) },
  });

function badRequest(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(isApiError(err) && err.reason === "BadRequest", String(err));
    return err.message;
  }
  assert.fail("expected BadRequest");
}

test("the only container is the default; with several one must be named, in Kubernetes' words", () => {
  assert.equal(chooseContainer(pod(["app"]), ""), "app");
  assert.equal(chooseContainer(pod(["a", "b"], ["init"]), "init"), "init");
  assert.equal(badRequest(() => chooseContainer(pod(["a", "b"]), "")), "a container name must be specified for pod web, choose one of: [a b]");
  assert.equal(
    badRequest(() => chooseContainer(pod(["a", "b"], ["setup"]), "")),
    "a container name must be specified for pod web, choose one of: [a b] or one of the init containers: [setup]",
  );
  assert.equal(badRequest(() => chooseContainer(pod(["app"]), "sidecar")), "container sidecar is not valid for pod web");
});

test("the kubelet is dialled at the node's InternalIP and daemonEndpoints.kubeletEndpoint.Port", () => {
  const node = (addresses: { type: string; address: string }[], port: number): coreV1Node.Node =>
    coreV1Node.Node.fromPartial({ metadata: { name: "n1" }, status: { addresses, daemonEndpoints: { kubeletEndpoint: { port } } } });
  assert.equal(kubeletAddress(node([{ type: "Hostname", address: "n1" }, { type: "InternalIP", address: "10.0.0.5" }], 10250)), "10.0.0.5:10250");
  assert.equal(kubeletAddress(node([{ type: "InternalIP", address: "fd00::5" }], 10250)), "[fd00::5]:10250");
  assert.equal(kubeletAddress(node([{ type: "Hostname", address: "n1" }], 10250)), "n1:10250");
  assert.throws(() => kubeletAddress(node([{ type: "InternalIP", address: "10.0.0.5" }], 0)), /node "n1" reports no kubelet endpoint/);
});
