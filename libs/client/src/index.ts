// @kubeplane/client: the apiserver's typed gRPC client, informers over NATS JetStream, and the work queue.
export { ApiClient, Verbs, type ClientOptions, type PodBindingRequest } from "./api-client.js";
export { apiserverTarget, ApiserverTargetError } from "./apiserver-target.js";
export {
  connectApiserver,
  connectCluster,
  connectNatsWithRetry,
  type NatsRetryLogger,
  type ClusterConnection,
  type ClusterConnectionSettings,
  type ClusterServiceHooks,
} from "./connect-cluster.js";
export { rotatingChannelCredentials, type RotatingCredentialsFiles } from "./rotating-credentials.js";
export type { NodeStatsSummary, PodExecOptions, PodExecResult, PodLogOptions } from "./pod-subresources.js";
export type { PodStreamOptions, PodStreamOutput, PodStreamSession } from "./pod-streams.js";
export type { ServiceAccountToken, TokenRequestOptions } from "./service-account-token.js";
export type {
  DeleteOptions,
  DeleteResult,
  JsonObject,
  ListOptions,
  ListResult,
  WatchEvent,
  WatchEventType,
  WatchOptions,
  WriteOptions,
} from "./types.js";
export { SharedInformerFactory, type SharedInformerFactoryOptions } from "./informer-factory.js";
export { Informer, type InformerLogger, type InformerMetrics, type InformerOptions, type InformerSyncStatus, type ResourceEventHandler, type WatchConnection } from "./informer.js";
export { Indexer, byLabel, byNamespace, byNodeName, byOwnerUid, objectKey, splitKey, type IndexFunc, type Lister } from "./indexer.js";
export { WorkQueue, type QueueItem } from "./work-queue.js";
export { EventBroadcaster, type EventBroadcasterOptions, type EventType } from "./event-broadcaster.js";
export { ExponentialBackoff, MaxOf, TokenBucket, defaultControllerRateLimiter, type RateLimiter } from "./rate-limiter.js";
export { BackupStreamError, saveBackup, type BackupProgress } from "./backup.js";
