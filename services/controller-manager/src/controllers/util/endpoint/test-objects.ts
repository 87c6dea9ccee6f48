// Pods and Services for the endpoints helpers' unit tests.
import { coreV1Pod, coreV1Service } from "@kubeplane/api";

/** How a test pod differs from a Running, Ready pod at 10.0.0.1 on node-1 labelled app=web. */
export interface PodOptions {
  ip?: string;
  ready?: boolean;
  node?: string;
  phase?: string;
  deleting?: boolean;
  labels?: Record<string, string>;
  ports?: Array<{ name: string; containerPort: number; protocol?: string }>;
  hostname?: string;
  subdomain?: string;
}

/** A pod in namespace "ns" with uid `uid-<name>`: Running, Ready and with an IP unless told otherwise. */
export function testPod(name: string, opts: PodOptions = {}): coreV1Pod.Pod {
  return coreV1Pod.Pod.fromPartial({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: "ns", uid: `uid-${name}`, labels: opts.labels ?? { app: "web" }, deletionTimestamp: opts.deleting ? "2026-01-01T00:00:00Z" : "" },
    spec: {
      nodeName: opts.node ?? "node-1",
      hostname: opts.hostname ?? "",
      subdomain: opts.subdomain ?? "",
      containers: [{ name: "app", ports: (opts.ports ?? []).map((p) => ({ protocol: "TCP", ...p })) }],
    },
    status: {
      phase: opts.phase ?? "Running",
      podIp: opts.ip ?? "10.0.0.1",
      conditions: [{ type: "Ready", status: opts.ready === false ? "False" : "True" }],
    },
  });
}

/** A Service "web" in namespace "ns" selecting app=web. */
export function testService(spec: Partial<coreV1Service.ServiceSpec> = {}, name = "web"): coreV1Service.Service {
  return coreV1Service.Service.fromPartial({
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace: "ns", uid: `uid-svc-${name}` },
    spec: { selector: { app: "web" }, clusterIp: "10.96.0.10", ports: [{ name: "http", port: 80, targetPort: "8080", protocol: "TCP" }], ...spec },
  });
}
