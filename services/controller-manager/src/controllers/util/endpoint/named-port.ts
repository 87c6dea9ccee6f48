// Resolves a Service port's targetPort on one pod: a number as is, a name through the pod's container ports (podutil.FindPort).
import type { coreV1Pod, coreV1Service } from "@kubeplane/api";

/**
 * The pod port `servicePort` forwards to on `pod`, or undefined when the pod has none: a numeric
 * targetPort (or an unset one, which means `port`) is used as is; a name is looked up among the
 * pod's containers' (and sidecars') ports with the same name and protocol, so pods without it are left out for
 * that port only.
 */
export function findPort(pod: coreV1Pod.Pod, servicePort: coreV1Service.ServicePort): number | undefined {
  const target = servicePort.targetPort;
  if (target === "" || target === "0") return servicePort.port > 0 ? servicePort.port : undefined;
  if (/^\d+$/.test(target)) return Number(target);
  const protocol = servicePort.protocol || "TCP";
  // Sidecars (init containers that keep running) serve ports too.
  const sidecars = (pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === "Always");
  for (const container of [...(pod.spec?.containers ?? []), ...sidecars]) {
    for (const port of container.ports) {
      if (port.name === target && (port.protocol || "TCP") === protocol) return port.containerPort;
    }
  }
  return undefined;
}
