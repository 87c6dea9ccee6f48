// @kubeplane/watch: watch events on NATS JetStream — subjects, the stream, the publisher and the consumer.
export {
  ALL_SUBJECTS,
  GAP_SUBJECT,
  KP_WATCH,
  NONE_TOKEN,
  PODS_BY_NODE,
  SUBJECT_ROOT,
  escapeToken,
  nodeFilter,
  objectSubject,
  parseSubject,
  podsByNodeSubject,
  resourceFilter,
  unescapeToken,
  type ParsedSubject,
} from "./subjects.js";
export { ensureStream, watchStreamConfig, type WatchStreamOptions } from "./stream.js";
export { isCompactedError, type Change, type ChangeSource } from "./change-source.js";
export { FORMAT_HEADER, FORMAT_RV128, GAP_TYPE, PREV_REVISION_HEADER, REVISION_END_HEADER, REVISION_HEADER, TYPE_HEADER } from "./event-messages.js";
export { WatchPublisher, type WatchLogger, type WatchPublisherOptions } from "./publisher.js";
export { openEventStream, type EventStream, type EventStreamOptions, type StreamedEvent } from "./consumer.js";
export { ConsumerCreateError, ResyncRequiredError, RevisionGoneError, WatchStreamAheadError, isConsumerCreateError, isResyncRequired, isRevisionGone } from "./errors.js";
export { OrderedConsumer, createConsumer, type ConsumerLogger, type ConsumerObserver, type OrderedConsumerOptions, type RecreateReason } from "./ordered-consumer.js";
export { NATS_MAX_PINGS_OUT, NATS_PING_INTERVAL_MS, natsConnectionOptions, type NatsTlsFiles } from "./nats-connection.js";
export { certificateUser, inboxPrefix, natsPermissions, renderNatsAuthorization, type NatsIdentity, type NatsRole } from "./nats-permissions.js";
export {
  CertificateSubjectsError,
  NATS_PUBLISHER_COMMON_NAME,
  NO_NATS_USER,
  NODE_USER_PREFIX,
  NODES_GROUP,
  natsIdentityOf,
  nodeNameOf,
  nodeNatsIdentity,
  parseCertificateSubjects,
  type CertificateSubject,
} from "./nats-identities.js";
