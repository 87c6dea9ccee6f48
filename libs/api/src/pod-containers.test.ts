// The container-choice rule for logs and exec: the default, init containers, and Kubernetes' BadRequest messages.
import assert from "node:assert/strict";
import { test } from "node:test";
import { isApiError } from "./api-error.js";
import { Pod } from "./gen/kubeplane/core/v1/pod.js";
import { chooseContainer } from "./pod-containers.js";

const pod = (containers: string[], initContainers: string[] = []): Pod =>
  Pod.fromPartial({
    metadata: { name: "web", namespace: "default" },
    spec: { containers: containers.map((name) => ({ name })), initContainers: initContainers.map((name) => ({ name })) },
  });

function badRequest(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(isApiError(err) && err.reason === "BadRequest" && err.code === 400, String(err));
    return err.message;
  }
  assert.fail("expected BadRequest");
}

test("a pod's only container is chosen when none is named, even with init containers", () => {
  assert.equal(chooseContainer(pod(["app"]), ""), "app");
  assert.equal(chooseContainer(pod(["app"], ["setup"]), ""), "app");
});

test("a named container or init container is chosen as named", () => {
  assert.equal(chooseContainer(pod(["a", "b"]), "b"), "b");
  assert.equal(chooseContainer(pod(["a", "b"], ["setup"]), "setup"), "setup");
});

test("with several containers one must be named, and the message lists them as Kubernetes does", () => {
  assert.equal(badRequest(() => chooseContainer(pod(["a", "b"]), "")), "a container name must be specified for pod web, choose one of: [a b]");
  assert.equal(
    badRequest(() => chooseContainer(pod(["a", "b"], ["setup", "migrate"]), "")),
    "a container name must be specified for pod web, choose one of: [a b] or one of the init containers: [setup migrate]",
  );
  assert.equal(badRequest(() => chooseContainer(pod([]), "")), "a container name must be specified for pod web, choose one of: []");
});

test("a container the pod does not have is BadRequest, not NotFound", () => {
  assert.equal(badRequest(() => chooseContainer(pod(["app"]), "sidecar")), "container sidecar is not valid for pod web");
  assert.equal(badRequest(() => chooseContainer(pod(["app"], ["setup"]), "Setup")), "container Setup is not valid for pod web");
});
