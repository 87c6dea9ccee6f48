// The kubelet's view of a container runtime: the CRI's RuntimeService and ImageService reduced to
// what the kubelet uses, in plain TypeScript types. `cri/client.ts` implements it over the CRI's
// runtime.v1 gRPC API (containerd, CRI-O, … by changing the socket); tests may wrap it.

/** A key/value pair (CRI KeyValue). */
export interface KeyValue {
  key: string;
  value: string;
}

export interface PodSandboxMetadata {
  name: string;
  namespace: string;
  uid: string;
  attempt: number;
}

export interface PortMapping {
  protocol: "TCP" | "UDP" | "SCTP";
  containerPort: number;
  hostPort: number;
  hostIp: string;
}

export interface DnsConfig {
  servers: string[];
  searches: string[];
  options: string[];
}

/** What RunPodSandbox needs (CRI PodSandboxConfig). */
export interface PodSandboxConfig {
  metadata: PodSandboxMetadata;
  hostname: string;
  /** Directory the pod's container logs go under (CRI log_directory): see paths.ts podLogDir. */
  logDirectory: string;
  dnsConfig?: DnsConfig;
  portMappings: PortMapping[];
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** Linux: cgroup parent, host network (namespace mode NODE), sysctls. */
  linux?: {
    cgroupParent?: string;
    hostNetwork?: boolean;
  };
}

export type SandboxState = "ready" | "notready";

export interface PodSandboxStatus {
  id: string;
  metadata: PodSandboxMetadata;
  state: SandboxState;
  /** Nanoseconds since the epoch, as the CRI reports them. */
  createdAt: number;
  /** The pod's primary IP ("" with host network or before networking). */
  ip: string;
  additionalIps: string[];
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface PodSandboxSummary {
  id: string;
  metadata: PodSandboxMetadata;
  state: SandboxState;
  createdAt: number;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface PodSandboxFilter {
  id?: string;
  state?: SandboxState;
  labelSelector?: Record<string, string>;
}

export interface Mount {
  containerPath: string;
  hostPath: string;
  readonly: boolean;
}

/** Linux resources of a container (CRI LinuxContainerResources). 0 means unset. */
export interface LinuxResources {
  cpuPeriod: number;
  cpuQuota: number;
  cpuShares: number;
  memoryLimitInBytes: number;
}

export interface ContainerMetadata {
  name: string;
  attempt: number;
}

/** What CreateContainer needs (CRI ContainerConfig). */
export interface ContainerConfig {
  metadata: ContainerMetadata;
  /** The image reference (as resolved by pullImage or as written in the pod). */
  image: string;
  command: string[];
  args: string[];
  workingDir: string;
  envs: KeyValue[];
  mounts: Mount[];
  /** Relative to the sandbox's logDirectory: see paths.ts containerLogPath. */
  logPath: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  stdin: boolean;
  tty: boolean;
  linux?: {
    resources?: LinuxResources;
    runAsUser?: number;
  };
}

export type ContainerState = "created" | "running" | "exited" | "unknown";

export interface ContainerStatus {
  id: string;
  metadata: ContainerMetadata;
  state: ContainerState;
  /** Nanoseconds since the epoch (0 when not yet). */
  createdAt: number;
  startedAt: number;
  finishedAt: number;
  exitCode: number;
  /** e.g. "Completed", "Error", "OOMKilled" (from the runtime). */
  reason: string;
  message: string;
  image: string;
  imageRef: string;
  logPath: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface ContainerSummary {
  id: string;
  podSandboxId: string;
  metadata: ContainerMetadata;
  image: string;
  imageRef: string;
  state: ContainerState;
  createdAt: number;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface ContainerFilter {
  id?: string;
  state?: ContainerState;
  podSandboxId?: string;
  labelSelector?: Record<string, string>;
}

export interface ExecSyncResult {
  stdout: Buffer;
  stderr: Buffer;
  exitCode: number;
}

export interface ContainerStats {
  id: string;
  metadata: ContainerMetadata;
  labels: Record<string, string>;
  /** Nanoseconds since the epoch of this sample. */
  timestamp: number;
  /** Cumulative CPU time in nanoseconds. */
  cpuUsageCoreNanoSeconds: number;
  memoryWorkingSetBytes: number;
}

export interface RuntimeVersion {
  runtimeName: string;
  runtimeVersion: string;
  runtimeApiVersion: string;
}

/** A runtime condition (CRI RuntimeCondition): RuntimeReady and NetworkReady are the required ones. */
export interface RuntimeCondition {
  type: string;
  status: boolean;
  reason: string;
  message: string;
}

/** The CRI RuntimeService, as the kubelet uses it. Errors are thrown as Error with a gRPC `code` when from the runtime. */
export interface RuntimeService {
  version(): Promise<RuntimeVersion>;
  /** The runtime's conditions (RuntimeReady, NetworkReady): the node is Ready only while both hold. */
  status(): Promise<RuntimeCondition[]>;
  runPodSandbox(config: PodSandboxConfig, runtimeHandler?: string): Promise<string>;
  stopPodSandbox(podSandboxId: string): Promise<void>;
  removePodSandbox(podSandboxId: string): Promise<void>;
  podSandboxStatus(podSandboxId: string): Promise<PodSandboxStatus>;
  listPodSandbox(filter?: PodSandboxFilter): Promise<PodSandboxSummary[]>;

  createContainer(podSandboxId: string, config: ContainerConfig, sandboxConfig: PodSandboxConfig): Promise<string>;
  startContainer(containerId: string): Promise<void>;
  /** Stops with SIGTERM, then SIGKILL after timeoutSeconds (0: kill at once). */
  stopContainer(containerId: string, timeoutSeconds: number): Promise<void>;
  removeContainer(containerId: string): Promise<void>;
  listContainers(filter?: ContainerFilter): Promise<ContainerSummary[]>;
  containerStatus(containerId: string): Promise<ContainerStatus>;

  /** Runs cmd in the container and waits (timeoutSeconds 0: no limit). */
  execSync(containerId: string, cmd: string[], timeoutSeconds: number): Promise<ExecSyncResult>;
  /** CRI Exec: a URL of the runtime's streaming server for an interactive exec. */
  exec(containerId: string, cmd: string[], opts: { stdin: boolean; stdout: boolean; stderr: boolean; tty: boolean }): Promise<string>;
  /** CRI Attach: a URL of the runtime's streaming server attached to the container's main process. */
  attach(containerId: string, opts: { stdin: boolean; stdout: boolean; stderr: boolean; tty: boolean }): Promise<string>;
  /** CRI PortForward: a URL of the runtime's streaming server forwarding into the sandbox's network namespace. */
  portForward(podSandboxId: string, ports: number[]): Promise<string>;

  containerStats(containerId: string): Promise<ContainerStats>;
  listContainerStats(filter?: { podSandboxId?: string }): Promise<ContainerStats[]>;
}

export interface Image {
  id: string;
  repoTags: string[];
  repoDigests: string[];
  size: number;
}

/** The CRI ImageService, as the kubelet uses it. */
export interface ImageService {
  /** Pulls the image; resolves with the image reference (id) the runtime stored. */
  pullImage(image: string, sandboxConfig?: PodSandboxConfig): Promise<string>;
  /** undefined when the image is not present. */
  imageStatus(image: string): Promise<Image | undefined>;
  listImages(): Promise<Image[]>;
  removeImage(image: string): Promise<void>;
}
