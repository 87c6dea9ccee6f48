// State metrics: kube-state-metrics' series from the caches, nothing before they synced, gone objects gone.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Registry } from "prom-client";
import type { ApiObject, KindInfo } from "@kubeplane/api";
import type { SharedInformerFactory } from "@kubeplane/client";
import { registerStateMetrics } from "./state-metrics.js";

/** Caches by kind, as the shared informers would hold them. */
function fakeInformers(objects: Record<string, ApiObject[]>, synced = { value: true }): SharedInformerFactory {
  return {
    informerFor: (kind: KindInfo) => ({
      get hasSynced() {
        return synced.value;
      },
      lister: { list: () => objects[kind.kind] ?? [] },
    }),
  } as unknown as SharedInformerFactory;
}

const node = (name: string, ready: string): ApiObject =>
  ({ apiVersion: "v1", kind: "Node", metadata: { name }, spec: { unschedulable: false }, status: { conditions: [{ type: "Ready", status: ready }] } }) as unknown as ApiObject;
const pod = (name: string, phase: string, waiting?: string, restarts = 0): ApiObject =>
  ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { namespace: "default", name },
    status: { phase, containerStatuses: [{ name: "app", restartCount: restarts, state: waiting ? { waiting: { reason: waiting } } : { running: {} } }] },
  }) as unknown as ApiObject;

test("node conditions, pod phases, waiting reasons and restarts under kube-state-metrics' names", async () => {
  const objects: Record<string, ApiObject[]> = {
    Node: [node("node-1", "True"), node("node-2", "False")],
    Pod: [pod("web-1", "Running"), pod("web-2", "Running", "CrashLoopBackOff", 4)],
    Deployment: [{ apiVersion: "apps/v1", kind: "Deployment", metadata: { namespace: "default", name: "web" }, spec: { replicas: 2 }, status: { availableReplicas: 1 } } as unknown as ApiObject],
  };
  const registry = new Registry();
  registerStateMetrics(registry, fakeInformers(objects));
  const text = await registry.metrics();
  assert.match(text, /^kube_node_status_condition\{node="node-1",condition="Ready",status="true"\} 1$/m);
  assert.match(text, /^kube_node_status_condition\{node="node-2",condition="Ready",status="true"\} 0$/m);
  assert.match(text, /^kube_node_status_condition\{node="node-2",condition="Ready",status="false"\} 1$/m);
  assert.match(text, /^kube_pod_status_phase\{namespace="default",pod="web-1",phase="Running"\} 1$/m);
  assert.match(text, /^kube_pod_status_phase\{namespace="default",pod="web-1",phase="Pending"\} 0$/m);
  assert.match(text, /^kube_pod_container_status_waiting_reason\{namespace="default",pod="web-2",container="app",reason="CrashLoopBackOff"\} 1$/m);
  assert.doesNotMatch(text, /waiting_reason\{[^}]*pod="web-1"/);
  assert.match(text, /^kube_pod_container_status_restarts_total\{namespace="default",pod="web-2",container="app"\} 4$/m);
  assert.match(text, /^kube_deployment_status_replicas_available\{namespace="default",deployment="web"\} 1$/m);
  assert.match(text, /^kube_deployment_spec_replicas\{namespace="default",deployment="web"\} 2$/m);

  objects.Pod = [pod("web-1", "Running")];
  assert.doesNotMatch(await registry.metrics(), /pod="web-2"/, "a deleted pod's series are gone at the next scrape");
});

test("nothing is exported before the caches synced (a standby's, or a starting leader's)", async () => {
  const registry = new Registry();
  registerStateMetrics(registry, fakeInformers({ Node: [node("node-1", "True")] }, { value: false }));
  assert.doesNotMatch(await registry.metrics(), /^kube_node_status_condition\{/m);
});
