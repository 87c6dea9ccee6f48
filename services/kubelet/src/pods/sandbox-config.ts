// The CRI sandbox config of a pod: metadata and labels the kubelet finds it by, hostname, DNS,
// host ports, log directory, host network.
import type { coreV1Pod } from "@kubeplane/api";
import { LABELS, podLogDir } from "../paths.js";
import type { DnsConfig, PodSandboxConfig, PortMapping } from "../runtime/types.js";

type Pod = coreV1Pod.Pod;

export interface SandboxConfigContext {
  logRoot: string;
  dns: DnsConfig | undefined;
  attempt: number;
  /** The pod's cgroup (cgroups.ts podCgroupParent). */
  cgroupParent: string;
}

/** The pod's labels for the runtime: the kubelet's own keys plus the pod's labels. */
export function podLabels(pod: Pod): Record<string, string> {
  const m = pod.metadata!;
  return { ...m.labels, [LABELS.podName]: m.name, [LABELS.podNamespace]: m.namespace, [LABELS.podUid]: m.uid };
}

/** The hostname a pod's sandbox gets: spec.hostname, else the pod name (truncated to 63 like the kubelet). */
export function podHostname(pod: Pod): string {
  const name = pod.spec?.hostname || pod.metadata!.name;
  return name.slice(0, 63).replace(/[-.]+$/, "");
}

export function sandboxConfig(pod: Pod, ctx: SandboxConfigContext): PodSandboxConfig {
  const m = pod.metadata!;
  const hostNetwork = pod.spec?.hostNetwork ?? false;
  const portMappings: PortMapping[] = [];
  for (const c of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) {
    for (const p of c.ports) {
      if (!p.hostPort) continue;
      portMappings.push({ protocol: (p.protocol || "TCP") as PortMapping["protocol"], containerPort: p.containerPort, hostPort: p.hostPort, hostIp: p.hostIp ?? "" });
    }
  }
  return {
    metadata: { name: m.name, namespace: m.namespace, uid: m.uid, attempt: ctx.attempt },
    hostname: hostNetwork ? "" : podHostname(pod),
    logDirectory: podLogDir(ctx.logRoot, m.namespace, m.name, m.uid),
    ...(ctx.dns ? { dnsConfig: ctx.dns } : {}),
    portMappings,
    labels: podLabels(pod),
    annotations: { ...m.annotations },
    linux: { hostNetwork, cgroupParent: ctx.cgroupParent },
  };
}
