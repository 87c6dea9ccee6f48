// Unit tests of targetPort resolution on a pod.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { coreV1Pod, coreV1Service } from "@kubeplane/api";
import { findPort } from "./named-port.js";
import { testPod } from "./test-objects.js";

const port = (targetPort: string, protocol = "TCP"): coreV1Service.ServicePort => coreV1Service.ServicePort.fromPartial({ name: "p", port: 80, targetPort, protocol });

describe("findPort", () => {
  it("uses a numeric targetPort as is, and the service port when none is set", () => {
    const pod = testPod("a");
    assert.equal(findPort(pod, port("8080")), 8080);
    assert.equal(findPort(pod, port("")), 80);
  });

  it("resolves a named targetPort through the container port of that name and protocol", () => {
    const pod = testPod("a", { ports: [{ name: "dns", containerPort: 53, protocol: "UDP" }, { name: "http", containerPort: 8080 }] });
    assert.equal(findPort(pod, port("http")), 8080);
    assert.equal(findPort(pod, port("dns", "UDP")), 53);
    assert.equal(findPort(pod, port("dns", "TCP")), undefined, "same name, other protocol");
    assert.equal(findPort(testPod("b"), port("http")), undefined, "a pod without the name");
  });

  it("finds named ports of sidecars but not of ordinary init containers", () => {
    const pod = coreV1Pod.Pod.fromPartial({
      spec: {
        initContainers: [
          { name: "proxy", restartPolicy: "Always", ports: [{ name: "proxy", containerPort: 15001, protocol: "TCP" }] },
          { name: "setup", ports: [{ name: "setup", containerPort: 9, protocol: "TCP" }] },
        ],
      },
    });
    assert.equal(findPort(pod, port("proxy")), 15001);
    assert.equal(findPort(pod, port("setup")), undefined);
  });
});
