// Unit tests of which pods are endpoints, their readiness and hostnames.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { coreV1Pod } from "@kubeplane/api";
import { isPodReady } from "../pod-util.js";
import { endpointHostname, podEndpointsChanged, shouldPodBeInEndpoints } from "./pod-endpoints.js";
import { testPod, testService } from "./test-objects.js";

describe("pod endpoints", () => {
  it("leaves out pods without an IP and finished pods; terminating ones only when asked", () => {
    assert.equal(shouldPodBeInEndpoints(testPod("a"), false), true);
    assert.equal(shouldPodBeInEndpoints(testPod("a", { ip: "" }), true), false);
    assert.equal(shouldPodBeInEndpoints(testPod("a", { phase: "Succeeded" }), true), false);
    assert.equal(shouldPodBeInEndpoints(testPod("a", { phase: "Failed" }), true), false);
    assert.equal(shouldPodBeInEndpoints(testPod("a", { deleting: true }), false), false);
    assert.equal(shouldPodBeInEndpoints(testPod("a", { deleting: true }), true), true);
  });

  it("a pod is ready only with a Ready=True condition", () => {
    assert.equal(isPodReady(testPod("a")), true);
    assert.equal(isPodReady(testPod("a", { ready: false })), false);
    assert.equal(isPodReady(coreV1Pod.Pod.fromPartial({})), false);
  });

  it("sets the hostname only when the pod names the service as its subdomain", () => {
    const svc = testService({ clusterIp: "None" });
    assert.equal(endpointHostname(testPod("a", { hostname: "db-0", subdomain: "web" }), svc), "db-0");
    assert.equal(endpointHostname(testPod("a", { hostname: "db-0", subdomain: "other" }), svc), undefined);
    assert.equal(endpointHostname(testPod("a", { subdomain: "web" }), svc), undefined);
  });

  it("only updates that can change an endpoint count as changes", () => {
    const pod = testPod("a");
    const heartbeat = coreV1Pod.Pod.fromPartial({ ...pod, status: { ...pod.status, startTime: "2026-01-01T00:00:00Z" } });
    assert.equal(podEndpointsChanged(pod, heartbeat), false);
    assert.equal(podEndpointsChanged(pod, testPod("a", { ready: false })), true);
    assert.equal(podEndpointsChanged(pod, testPod("a", { labels: { app: "db" } })), true);
    assert.equal(podEndpointsChanged(pod, testPod("a", { ip: "10.0.0.2" })), true);
  });
});
