// @kubeplane/storage: the apiserver's etcd registry store, leader election and address allocators.
export { EtcdStore, prefixEnd, storedValueOf } from "./etcd-store.js";
export type { EtcdStoreOptions, EtcdTls, KeyValue, ListOptions, ListPage } from "./etcd-store.js";
export type { Change, StoredValue } from "./stored-value.js";
export {
  CompactedError,
  KeyExistsError,
  RevisionMismatchError,
  StoreRequestError,
  StoreUnavailableError,
  isCompacted,
  isKeyExists,
  isRevisionMismatch,
  isStoreUnavailable,
} from "./errors.js";
export { LEADER_ELECTION_PREFIX, LeaderElection } from "./leader-election.js";
export type { LeaderElectionOptions } from "./leader-election.js";
export { LeaseManager, type LeaseGranter, type LeaseManagerOptions } from "./lease-manager.js";
export { NODE_PORT_RESERVATION_PREFIX, NodePortRange, SERVICE_IP_RESERVATION_PREFIX, ServiceIpRange } from "./allocators.js";
export type { IpFamily, RangeAllocator } from "./allocators.js";
export { formatIpv4, parseIpv4, parseIpv4Cidr } from "./ipv4-cidr.js";
export type { Ipv4Cidr } from "./ipv4-cidr.js";
export { canonicalIpv6, formatIpv6, parseIpv6, parseIpv6Cidr } from "./ipv6-cidr.js";
export type { Ipv6Cidr } from "./ipv6-cidr.js";
export { reservedKeys } from "./reserved-keys.js";
export { advanceRevision, snapshotInfo, snapshotStream, type SnapshotInfo } from "./maintenance.js";
export { decodeStoredValue, encodeStoredValue } from "./value-envelope.js";
