// The apiserver's configuration: listeners, etcd, NATS, service address ranges, limits.
import { defineConfig, serviceConfig, type ConfigOf } from "@kubeplane/service-kit";

export const apiserverConfig = defineConfig({
  ...serviceConfig({ grpc: "127.0.0.1:6443", http: "127.0.0.1:6080" }),
  etcdEndpoints: { type: "list", default: ["https://127.0.0.1:2379"], description: "etcd client URLs" },
  etcdCaFile: { type: "string", description: "PEM CA that signed etcd's serving certificates (etcd's own CA)" },
  etcdCertFile: { type: "string", description: "PEM client certificate for etcd (only the apiserver holds one)" },
  etcdKeyFile: { type: "string", description: "PEM private key of etcdCertFile" },
  natsUrl: { type: "string", default: "tls://127.0.0.1:4222", description: "NATS server URL(s), comma-separated (JetStream enabled), for watch events" },
  caFile: { type: "string", description: "PEM cluster CA that verifies NATS's and the kubelets' serving certificates" },
  natsCertFile: { type: "string", description: "PEM client certificate for NATS (the identity allowed to publish watch events)" },
  natsKeyFile: { type: "string", description: "PEM private key of natsCertFile" },
  kubeletClientCertFile: { type: "string", description: "PEM client certificate the apiserver presents to kubelets (logs, exec, stats)" },
  kubeletClientKeyFile: { type: "string", description: "PEM private key of kubeletClientCertFile" },
  serviceClusterIpRange: { type: "string", default: "10.96.0.0/12", description: "CIDR Services' ClusterIPs are allocated from" },
  serviceNodePortRange: { type: "string", default: "30000-32767", description: "Port range NodePorts are allocated from (MIN-MAX)" },
  maxObjectBytes: { type: "int", default: 1_572_864, min: 1024, description: "Largest object accepted, in bytes of its protobuf encoding (etcd's request limit is 1.5 MiB)" },
  watchStreamReplicas: { type: "int", default: 1, min: 1, max: 5, description: "Replicas of the JetStream watch stream (3 on a NATS cluster)" },
  watchHistory: { type: "duration", default: "1h", description: "How long the watch stream keeps events; older resourceVersions get Gone" },
  watchStreamMaxMessages: { type: "int", default: 0, min: 0, description: "Most events the watch stream keeps (0: no limit besides watchHistory)" },
  watchStreamMaxBytes: { type: "int", default: 1_073_741_824, min: 0, description: "Most bytes the watch stream keeps, oldest events dropped first (0: no limit besides watchHistory)" },
  compactionInterval: { type: "duration", default: "5m", description: "How often etcd's history is compacted (one replica per interval; one interval of history kept); 0 disables" },
  eventTtl: { type: "duration", default: "1h", description: "Events are deleted this long after their last write (etcd leases); 0 keeps them" },
  leaderLeaseTtl: { type: "duration", default: "10s", description: "TTL of the etcd lease behind the watch publisher's leadership; a standby takes over within it" },
  encryptionKeyFile: {
    type: "string",
    description: "File of NAME:BASE64 AES-256 keys (first one encrypts) for Secrets at rest; unset: Secrets are stored unencrypted",
  },
  publishWatchEvents: { type: "bool", default: true, description: "Campaign to be the replica that publishes watch events to JetStream (one replica leads)" },
  identity: { type: "string", description: "This replica's name in leader election; unset: hostname-pid" },
  bookmarkInterval: { type: "duration", default: "60s", description: "How often gRPC watches that allow bookmarks get one" },
  serviceAccountKeyFile: { type: "list", default: [], description: "PEM EC P-256 public (or private) keys that verify ServiceAccount tokens (the PKI's sa.pub); unset: ServiceAccount tokens are not accepted" },
  serviceAccountSigningKeyFile: { type: "string", description: "PEM EC P-256 private key that signs ServiceAccount tokens (the PKI's sa.key); unset: no TokenRequest, no token volumes" },
  serviceAccountIssuer: { type: "string", default: "https://kubernetes.default.svc.cluster.local", description: "The iss claim of ServiceAccount tokens, and the only one accepted" },
  apiAudiences: { type: "list", default: ["https://kubernetes.default.svc.cluster.local"], description: "Audiences a token must name one of to authenticate; tokens requested without audiences get these" },
  serviceAccountMaxTokenExpiration: { type: "duration", default: "0s", description: "Longest ServiceAccount token lifetime granted (longer requests are shortened); 0: no limit" },
});

export type ApiserverConfig = ConfigOf<typeof apiserverConfig>;
