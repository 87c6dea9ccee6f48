// @kubeplane/service-kit: everything a Kubeplane service needs to start, serve, observe and stop.
export { ConfigError, HelpRequested, ServiceStartError, type ConfigSource } from "./errors.js";
export {
  defineConfig,
  loadConfig,
  parseDuration,
  usage,
  type BoolField,
  type ConfigOf,
  type ConfigSchema,
  type ConfigSources,
  type DurationField,
  type EnumField,
  type FieldSpec,
  type IntField,
  type ListField,
  type StringField,
} from "./config.js";
export { createLogger, logLevels, type LogLevel, type Logger } from "./logger.js";
export { createRegistry, latencyBuckets, GrpcServerMetrics } from "./metrics.js";
export { addObservations, bucketIndex } from "./histogram-batch.js";
export { startTracing, stopTracing, extractContext, injectContext, type TracingOptions } from "./tracing.js";
export { clientTracingInterceptor, serverInterceptor } from "./interceptors.js";
export { grpcCodeName } from "./grpc-codes.js";
export {
  channelCredentials,
  loadTls,
  peerIdentity,
  serverCredentials,
  socketPeerIdentity,
  type ClientAuth,
  type ClientTlsFiles,
  type PeerIdentity,
  type TlsFiles,
  type TlsMaterial,
} from "./tls.js";
export type { ReadinessCheck } from "./http-server.js";
export {
  Service,
  clusterClientConfig,
  serviceConfig,
  type ServiceAddresses,
  type ServiceConfig,
  type ServiceOptions,
} from "./service.js";
export { runMain, type MainOptions, type RunContext } from "./main.js";
export { silenceIpServerNameWarning } from "./ip-servername-warning.js";
