// Public surface of @kubeplane/testing: real etcd and NATS servers on free ports, and polling helpers.
export { etcdClientTls, etcdCredentials, etcdStoreTls, startEtcd } from "./etcd-cluster.js";
export type { EtcdCluster, EtcdMember, EtcdOptions } from "./etcd-cluster.js";
export { ProcessStartError, WaitTimeoutError } from "./errors.js";
export { freePort } from "./free-port.js";
export type { ProcessExit } from "./managed-process.js";
export { startNats } from "./nats-server.js";
export { startNatsAuthorizer } from "./nats-authorizer.js";
export type { NatsOptions, NatsServer } from "./nats-server.js";
export { startNatsCluster, type NatsCluster, type NatsClusterOptions, type NatsClusterServer } from "./nats-cluster.js";
export { waitFor } from "./wait-for.js";
export type { NotYet, WaitForOptions } from "./wait-for.js";
export { startServiceProcess } from "./service-process.js";
export { fromDist, nodeEntryArgs } from "./node-command.js";
export { startTcpProxy, type TcpProxy } from "./tcp-proxy.js";
export type { ServiceProcess, ServiceProcessOptions } from "./service-process.js";
export {
  benchProgress,
  childPids,
  clockTicks,
  metricSamples,
  metricSums,
  parseBenchScale,
  percentile,
  processCpuSeconds,
  processRssMiB,
  runConcurrently,
  sumOf,
  type MetricSample,
} from "./bench-support.js";
export { apiserverEntry, serviceEntry, startControlPlane, type ControlPlane } from "./control-plane.js";
export { createNetns, deleteNetns, enterTestNetns, execInNetns, insideTestNetns, NetnsError } from "./netns.js";
export { startPartitioner, type Cut, type Partitioner } from "./partition.js";
export { createTestCgroup, TestCgroupError, type TestCgroup } from "./test-cgroup.js";
export { startRegistry, type Registry } from "./registry.js";
export { buildBusyboxImage, BUSYBOX_IMAGE, ImageError, PAUSE_IMAGE, pushImage, type BuildImageOptions, type ImageLayout } from "./images.js";
export { CRI_NAMESPACE, startContainerd, type Containerd, type ContainerdOptions } from "./containerd.js";
export { httpGet, kpctlTlsFlags, removeCgroupTrees, runKpctl, startNodeStack, type NodeStack, type NodeStackOptions } from "./node-stack.js";
export { PrometheusQueryError, startPrometheus, type PromAlert, type Prometheus, type PrometheusOptions, type PromSample, type PromTarget } from "./prometheus.js";
export {
  SIMULATOR_COMMON_NAME,
  apiserverEncryptionConfig,
  apiserverTlsConfig,
  apiserverTlsFlags,
  clientOptions,
  clientTls,
  grpcCredentials,
  natsOptions,
  serviceTlsConfig,
  serviceTlsFlags,
  testPki,
  testPkiDir,
  testPkiNow,
  type TestPki,
  type TlsFiles,
} from "./test-pki.js";
export { httpProbe, type ProbeResponse, type ProbeTls } from "./http-probe.js";
