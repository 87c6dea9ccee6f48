// Pods and Services for the endpoints controllers' tests: a pod with labels and named ports, a Service selecting it.
import { coreV1Pod, coreV1Service } from "@kubeplane/api";

/** A one-container pod with labels and (named) container ports. */
export function labelledPod(namespace: string, name: string, labels: Record<string, string>, ports: Array<{ name: string; containerPort: number }> = []): coreV1Pod.Pod {
  return coreV1Pod.Pod.fromPartial({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace, labels },
    spec: { containers: [{ name: "app", image: "nginx:1.27", ports }] },
  });
}

/** A Service on port 80 ("http") selecting `selector`, forwarding to `targetPort` (a number or a port name). */
export function selectingService(namespace: string, name: string, selector: Record<string, string>, targetPort: string): coreV1Service.Service {
  return coreV1Service.Service.fromPartial({
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace },
    spec: { selector, ports: [{ name: "http", port: 80, targetPort, protocol: "TCP" }] },
  });
}
