// The scheduler's configuration: apiserver and NATS, leader election, node scoring, and the profile file.
import { clusterClientConfig, defineConfig, serviceConfig, type ConfigOf } from "@kubeplane/service-kit";

export const schedulerConfig = defineConfig({
  ...serviceConfig({ grpc: "127.0.0.1:10259", http: "127.0.0.1:10251" }),
  ...clusterClientConfig(),
  profilesFile: {
    type: "string",
    description: "KubeSchedulerConfiguration YAML with `profiles` (and optionally percentageOfNodesToScore); unset: one default-scheduler profile",
  },
  percentageOfNodesToScore: {
    type: "int",
    default: 0,
    min: 0,
    max: 100,
    description: "Share of nodes to find feasible before scoring; 0: adaptive (50% − nodes/125, at least 5% and 100 nodes)",
  },
  opportunisticBatching: {
    type: "bool",
    default: true,
    description: "Place pods of one scheduling signature from the previous cycle's filtered and scored nodes (KEP-5598)",
  },
  podInitialBackoff: { type: "duration", default: "1s", description: "Backoff of an unschedulable pod's first retry (doubles per attempt)" },
  podMaxBackoff: { type: "duration", default: "10s", description: "Longest backoff of an unschedulable pod" },
  leaderElect: { type: "bool", default: true, description: "Schedule only while holding the kube-system/kube-scheduler Lease" },
  leaseDuration: { type: "duration", default: "15s", description: "How long a leader's lease stays valid after a renewal" },
  renewDeadline: { type: "duration", default: "10s", description: "A leader that cannot renew for this long steps down" },
  retryPeriod: { type: "duration", default: "2s", description: "How often to try to acquire or renew the lease" },
  identity: { type: "string", description: "This replica's name in leader election and events; unset: hostname-pid" },
});

export type SchedulerConfig = ConfigOf<typeof schedulerConfig>;
