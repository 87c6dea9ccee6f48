// Maps the kubelet's plain runtime types (runtime/types.ts) to CRI runtime.v1 request messages.
import * as cri from "../gen/runtime/v1/api.js";
import type { ContainerConfig, ContainerFilter, ContainerState, PodSandboxConfig, PodSandboxFilter, PortMapping } from "../runtime/types.js";

const protocols: Record<PortMapping["protocol"], cri.Protocol> = { TCP: cri.Protocol.TCP, UDP: cri.Protocol.UDP, SCTP: cri.Protocol.SCTP };

const containerStates: Record<ContainerState, cri.ContainerState> = {
  created: cri.ContainerState.CONTAINER_CREATED,
  running: cri.ContainerState.CONTAINER_RUNNING,
  exited: cri.ContainerState.CONTAINER_EXITED,
  unknown: cri.ContainerState.CONTAINER_UNKNOWN,
};

/**
 * Namespaces as Kubernetes' kubelet sets them for a v1 pod: network and IPC shared by the pod (or
 * the node's with hostNetwork), PID per container (shareProcessNamespace is not supported yet).
 */
function namespaceOptions(hostNetwork: boolean): cri.NamespaceOption {
  return cri.NamespaceOption.fromPartial({
    network: hostNetwork ? cri.NamespaceMode.NODE : cri.NamespaceMode.POD,
    pid: cri.NamespaceMode.CONTAINER,
    ipc: hostNetwork ? cri.NamespaceMode.NODE : cri.NamespaceMode.POD,
  });
}

/** CRI int64 fields are bigint in the generated code; the kubelet's numbers are whole. */
function int64(value: number): bigint {
  return BigInt(Math.trunc(value));
}

export function toCriSandboxConfig(config: PodSandboxConfig): cri.PodSandboxConfig {
  const hostNetwork = config.linux?.hostNetwork ?? false;
  return cri.PodSandboxConfig.fromPartial({
    metadata: { ...config.metadata },
    // With the node's network the sandbox shares the node's UTS namespace, where containerd 1.6 +
    // runc 1.1 refuse to set a hostname ("unable to set hostname without a private UTS namespace").
    hostname: hostNetwork ? "" : config.hostname,
    logDirectory: config.logDirectory,
    dnsConfig: config.dnsConfig ? { ...config.dnsConfig } : undefined,
    portMappings: config.portMappings.map((port) => ({
      protocol: protocols[port.protocol],
      containerPort: port.containerPort,
      hostPort: port.hostPort,
      hostIp: port.hostIp,
    })),
    labels: config.labels,
    annotations: config.annotations,
    linux: {
      cgroupParent: config.linux?.cgroupParent ?? "",
      securityContext: { namespaceOptions: namespaceOptions(hostNetwork) },
    },
  });
}

export function toCriContainerConfig(config: ContainerConfig, sandbox: PodSandboxConfig): cri.ContainerConfig {
  const resources = config.linux?.resources;
  const runAsUser = config.linux?.runAsUser;
  return cri.ContainerConfig.fromPartial({
    metadata: { ...config.metadata },
    image: { image: config.image },
    command: config.command,
    args: config.args,
    workingDir: config.workingDir,
    envs: config.envs.map((env) => ({ ...env })),
    mounts: config.mounts.map((mount) => ({
      containerPath: mount.containerPath,
      hostPath: mount.hostPath,
      readonly: mount.readonly,
      propagation: cri.MountPropagation.PROPAGATION_PRIVATE,
    })),
    labels: config.labels,
    annotations: config.annotations,
    logPath: config.logPath,
    stdin: config.stdin,
    tty: config.tty,
    linux: {
      resources: resources
        ? {
            cpuPeriod: int64(resources.cpuPeriod),
            cpuQuota: int64(resources.cpuQuota),
            cpuShares: int64(resources.cpuShares),
            memoryLimitInBytes: int64(resources.memoryLimitInBytes),
          }
        : undefined,
      securityContext: {
        namespaceOptions: namespaceOptions(sandbox.linux?.hostNetwork ?? false),
        runAsUser: runAsUser === undefined ? undefined : { value: int64(runAsUser) },
      },
    },
  });
}

export function toCriSandboxFilter(filter: PodSandboxFilter): cri.PodSandboxFilter {
  return cri.PodSandboxFilter.fromPartial({
    id: filter.id ?? "",
    state:
      filter.state === undefined
        ? undefined
        : { state: filter.state === "ready" ? cri.PodSandboxState.SANDBOX_READY : cri.PodSandboxState.SANDBOX_NOTREADY },
    labelSelector: filter.labelSelector ?? {},
  });
}

export function toCriContainerFilter(filter: ContainerFilter): cri.ContainerFilter {
  return cri.ContainerFilter.fromPartial({
    id: filter.id ?? "",
    state: filter.state === undefined ? undefined : { state: containerStates[filter.state] },
    podSandboxId: filter.podSandboxId ?? "",
    labelSelector: filter.labelSelector ?? {},
  });
}
