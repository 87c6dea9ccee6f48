// The controller-manager's configuration: where the apiserver and NATS are, which controllers run, leader election, timings.
import { clusterClientConfig, defineConfig, serviceConfig, type ConfigOf } from "@kubeplane/service-kit";

export const controllerManagerConfig = defineConfig({
  ...serviceConfig({ grpc: "127.0.0.1:10257", http: "127.0.0.1:10252" }),
  ...clusterClientConfig(),
  controllers: {
    type: "list",
    default: ["*"],
    description: "Controllers to run: * for all, name to add one, -name to leave one out (e.g. *,-cronjob)",
  },
  leaderElect: { type: "bool", default: true, description: "Run only while holding the kube-system/kube-controller-manager Lease" },
  leaseDuration: { type: "duration", default: "15s", description: "How long a leader's lease stays valid after a renewal" },
  renewDeadline: { type: "duration", default: "10s", description: "A leader that cannot renew for this long steps down" },
  retryPeriod: { type: "duration", default: "2s", description: "How often to try to acquire or renew the lease" },
  identity: { type: "string", description: "This replica's name in leader election; unset: hostname-pid" },
  workers: { type: "int", default: 5, min: 1, max: 100, description: "Concurrent reconciles per controller" },
  maxEndpointsPerSlice: { type: "int", default: 100, min: 1, max: 1000, description: "Most endpoints in one EndpointSlice (Kubernetes' --max-endpoints-per-slice)" },
  nodeMonitorGracePeriod: { type: "duration", default: "40s", description: "A node whose heartbeat is older than this becomes Ready=Unknown" },
  clusterSigningCertFile: { type: "string", description: "PEM CA certificate the csrsigning controller signs kubelet CSRs with; unset: that controller does not run" },
  clusterSigningKeyFile: { type: "string", description: "PEM private key of clusterSigningCertFile" },
  clusterSigningDuration: { type: "duration", default: "8760h", description: "Longest lifetime of a certificate the csrsigning controller issues (a CSR's expirationSeconds may ask for less)" },
  rootCaFile: { type: "string", description: "PEM CA bundle published in every namespace as the kube-root-ca.crt ConfigMap (the cluster CA); unset: the root-ca-cert-publisher does nothing" },
  horizontalPodAutoscalerSyncPeriod: { type: "duration", default: "15s", description: "How often each HorizontalPodAutoscaler is reconciled (--horizontal-pod-autoscaler-sync-period)" },
  horizontalPodAutoscalerDownscaleStabilization: {
    type: "duration",
    default: "5m",
    description: "Scale-down follows the highest recommendation of this window, unless an HPA's behavior.scaleDown sets its own (--horizontal-pod-autoscaler-downscale-stabilization)",
  },
  horizontalPodAutoscalerTolerance: { type: "string", default: "0.1", description: "Smallest relative distance of a metric from its target that rescales (--horizontal-pod-autoscaler-tolerance)" },
  horizontalPodAutoscalerCpuInitializationPeriod: { type: "duration", default: "5m", description: "After a pod starts, its CPU samples count only once it is ready for a whole metrics window (--horizontal-pod-autoscaler-cpu-initialization-period)" },
  horizontalPodAutoscalerInitialReadinessDelay: { type: "duration", default: "30s", description: "A pod not ready this long after its start counts as never ready for CPU (--horizontal-pod-autoscaler-initial-readiness-delay)" },
  podEvictionTimeout: { type: "duration", default: "300s", description: "Default tolerationSeconds for not-ready/unreachable taints" },
  resourceQuotaSyncPeriod: { type: "duration", default: "5m", description: "How often every ResourceQuota's usage is recounted from the objects (--resource-quota-sync-period)" },
});

export type ControllerManagerConfig = ConfigOf<typeof controllerManagerConfig>;
