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
  /** The kubelet's --cluster-domain (a pod's FQDN with setHostnameAsFQDN). */
  clusterDomain: string;
}

/** The longest hostname the kernel takes (HOST_NAME_MAX + 1, as the kubelet checks). */
const MAX_KERNEL_HOSTNAME = 64;

/** Thrown when a pod asks for setHostnameAsFQDN and its FQDN is longer than the kernel allows; the sandbox is not created. */
export class HostnameTooLongError extends Error {
  readonly code = "FQDNTooLong";
  constructor(readonly fqdn: string) {
    super(`failed to construct FQDN from pod hostname and cluster domain, FQDN ${fqdn} is too long (${MAX_KERNEL_HOSTNAME} characters is the max, ${fqdn.length} characters requested)`);
    this.name = "HostnameTooLongError";
  }
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

/**
 * The hostname the kernel gets (GetNodenameForKernel): `<hostname>.<subdomain>.<ns>.svc.<domain>` when
 * the pod sets setHostnameAsFQDN and has a subdomain, else podHostname. Throws HostnameTooLongError
 * when that FQDN exceeds 64 characters.
 */
export function kernelHostname(pod: Pod, clusterDomain: string): string {
  const hostname = podHostname(pod);
  const subdomain = pod.spec?.subdomain ?? "";
  if (!pod.spec?.setHostnameAsFqdn || subdomain === "") return hostname;
  const fqdn = `${hostname}.${subdomain}.${pod.metadata!.namespace}.svc.${clusterDomain}`;
  if (fqdn.length > MAX_KERNEL_HOSTNAME) throw new HostnameTooLongError(fqdn);
  return fqdn;
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
    hostname: hostNetwork ? "" : kernelHostname(pod, ctx.clusterDomain),
    logDirectory: podLogDir(ctx.logRoot, m.namespace, m.name, m.uid),
    ...(ctx.dns ? { dnsConfig: ctx.dns } : {}),
    portMappings,
    labels: podLabels(pod),
    annotations: { ...m.annotations },
    linux: { hostNetwork, cgroupParent: ctx.cgroupParent },
  };
}
