// Object state under kube-state-metrics' names (node conditions, pod phases and container states, Deployment replicas), read from the shared informers' caches at scrape time.
import { Counter, Gauge, type Registry } from "prom-client";
import { kindFor, type KindInfo, type appsV1Deployment, type coreV1Node, type coreV1Pod } from "@kubeplane/api";
import type { SharedInformerFactory } from "@kubeplane/client";

const nodeKind = kindFor("v1", "Node") as KindInfo<coreV1Node.Node>;
const podKind = kindFor("v1", "Pod") as KindInfo<coreV1Pod.Pod>;
const deploymentKind = kindFor("apps/v1", "Deployment") as KindInfo<appsV1Deployment.Deployment>;

const podPhases = ["Pending", "Running", "Succeeded", "Failed", "Unknown"] as const;
const conditionStatuses = ["true", "false", "unknown"] as const;

/**
 * Registers kube-state-metrics' core series on `registry`, computed from the caches this process
 * already holds (no extra watch beyond the node, pod and Deployment informers it asks for). Only the
 * lead replica's caches run, so a standby exports none: sum over instances, as with
 * kube-state-metrics' own replicas. Series of objects that are gone disappear at the next scrape.
 */
export function registerStateMetrics(registry: Registry, informers: SharedInformerFactory): void {
  const nodes = informers.informerFor(nodeKind);
  const pods = informers.informerFor(podKind);
  const deployments = informers.informerFor(deploymentKind);
  const registers = [registry];
  const synced = (i: { hasSynced: boolean }): boolean => i.hasSynced;

  new Gauge({
    name: "kube_node_status_condition",
    help: "The condition of a cluster node.",
    labelNames: ["node", "condition", "status"],
    registers,
    collect() {
      this.reset();
      if (!synced(nodes)) return;
      for (const node of nodes.lister.list()) {
        for (const c of node.status?.conditions ?? []) {
          const status = c.status.toLowerCase();
          for (const s of conditionStatuses) this.set({ node: node.metadata!.name, condition: c.type, status: s }, s === status ? 1 : 0);
        }
      }
    },
  });
  new Gauge({
    name: "kube_node_spec_unschedulable",
    help: "Whether a node can schedule new pods.",
    labelNames: ["node"],
    registers,
    collect() {
      this.reset();
      if (!synced(nodes)) return;
      for (const node of nodes.lister.list()) this.set({ node: node.metadata!.name }, node.spec?.unschedulable ? 1 : 0);
    },
  });
  new Gauge({
    name: "kube_pod_status_phase",
    help: "The pods current phase.",
    labelNames: ["namespace", "pod", "phase"],
    registers,
    collect() {
      this.reset();
      if (!synced(pods)) return;
      for (const pod of pods.lister.list()) {
        const phase = pod.status?.phase || "Pending";
        for (const p of podPhases) this.set({ namespace: pod.metadata!.namespace, pod: pod.metadata!.name, phase: p }, p === phase ? 1 : 0);
      }
    },
  });
  new Gauge({
    name: "kube_pod_container_status_waiting_reason",
    help: "Describes the reason the container is currently in waiting state.",
    labelNames: ["namespace", "pod", "container", "reason"],
    registers,
    collect() {
      this.reset();
      if (!synced(pods)) return;
      for (const pod of pods.lister.list()) {
        for (const cs of pod.status?.containerStatuses ?? []) {
          const reason = cs.state?.waiting?.reason;
          if (reason) this.set({ namespace: pod.metadata!.namespace, pod: pod.metadata!.name, container: cs.name, reason }, 1);
        }
      }
    },
  });
  new Counter({
    name: "kube_pod_container_status_restarts_total",
    help: "The number of container restarts per container.",
    labelNames: ["namespace", "pod", "container"],
    registers,
    collect() {
      this.reset();
      if (!synced(pods)) return;
      for (const pod of pods.lister.list()) {
        for (const cs of pod.status?.containerStatuses ?? []) this.inc({ namespace: pod.metadata!.namespace, pod: pod.metadata!.name, container: cs.name }, cs.restartCount ?? 0);
      }
    },
  });
  const deploymentGauge = (name: string, help: string, value: (d: appsV1Deployment.Deployment) => number): void => {
    new Gauge({
      name,
      help,
      labelNames: ["namespace", "deployment"],
      registers,
      collect() {
        this.reset();
        if (!synced(deployments)) return;
        for (const d of deployments.lister.list()) this.set({ namespace: d.metadata!.namespace, deployment: d.metadata!.name }, value(d));
      },
    });
  };
  deploymentGauge("kube_deployment_spec_replicas", "Number of desired pods for a deployment.", (d) => d.spec?.replicas ?? 1);
  deploymentGauge("kube_deployment_status_replicas_available", "The number of available replicas per deployment.", (d) => d.status?.availableReplicas ?? 0);
}
