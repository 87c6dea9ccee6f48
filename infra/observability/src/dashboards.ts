// The one source of dashboard queries: every shipped dashboard, its panels and their PromQL (tests query the same expressions).
import { jobs } from "./jobs.js";

/** How a panel shows its values; maps onto Grafana's units and panel types. */
export type PanelUnit = "short" | "reqps" | "ops" | "s" | "bytes" | "percentunit" | "none";

/** One panel: a title and the PromQL behind it. */
export interface PanelSpec {
  title: string;
  /** PromQL; instant-evaluable, so a test can check it returns at least one series. */
  expr: string;
  /** Grafana legend format, e.g. "{{verb}}". */
  legend?: string;
  unit?: PanelUnit;
  /** "stat" for a single current number; default "timeseries". */
  type?: "timeseries" | "stat";
  /**
   * What must run for the query to return a series beyond the control plane: "real-node" panels
   * need a kubelet on a container runtime (container stats, runtime operations).
   */
  needs?: "real-node";
  description?: string;
}

/** One dashboard: a stable uid (file name) and its panels, laid out two per row. */
export interface DashboardSpec {
  uid: string;
  title: string;
  description: string;
  panels: PanelSpec[];
}

const r = "5m"; // rate window: four scrapes at the default 15 s interval, and fine at a test's 1 s
const p99 = (metric: string, by: string, selector = ""): string =>
  `histogram_quantile(0.99, sum by (${by ? `${by}, ` : ""}le) (rate(${metric}_bucket${selector}[${r}])))`;
const j = (job: string): string => `job="${job}"`;

/** Every dashboard shipped in infra/observability/dashboards/, in the order of their files. */
export const dashboards: DashboardSpec[] = [
  {
    uid: "kubeplane-cluster",
    title: "Kubeplane / Cluster overview",
    description: "Is every component up, is the API healthy, are pods being scheduled and run.",
    panels: [
      { title: "Targets up by job", expr: "sum by (job) (up)", legend: "{{job}}", unit: "short" },
      { title: "Targets down", expr: "count(up == 0) or vector(0)", type: "stat", unit: "short" },
      { title: "API requests by code", expr: `sum by (code) (rate(apiserver_request_total[${r}]))`, legend: "{{code}}", unit: "reqps" },
      {
        title: "API 5xx ratio",
        expr: `(sum(rate(apiserver_request_total{code=~"5.."}[${r}])) or vector(0)) / sum(rate(apiserver_request_total[${r}]))`,
        unit: "percentunit",
      },
      { title: "Pending pods by queue", expr: "sum by (queue) (scheduler_pending_pods)", legend: "{{queue}}", unit: "short" },
      { title: "Running pods by kubelet", expr: "sum by (instance) (kubelet_running_pods)", legend: "{{instance}}", unit: "short" },
      { title: "Nodes by Ready status", expr: 'sum by (status) (kube_node_status_condition{condition="Ready"})', legend: "{{status}}", unit: "short" },
      { title: "Pods by phase", expr: "sum by (phase) (kube_pod_status_phase)", legend: "{{phase}}", unit: "short" },
      { title: "Alerts firing", expr: 'count(ALERTS{alertstate="firing"}) or vector(0)', type: "stat", unit: "short" },
      { title: "Watch publish lag p99", expr: p99("apiserver_watch_publish_lag_seconds", ""), unit: "s" },
    ],
  },
  {
    uid: "kubeplane-apiserver",
    title: "Kubeplane / API server",
    description: "Requests (RED by verb, resource and code), latency, in-flight requests, etcd latency as the apiserver sees it.",
    panels: [
      { title: "Requests by verb", expr: `sum by (verb) (rate(apiserver_request_total[${r}]))`, legend: "{{verb}}", unit: "reqps" },
      { title: "Requests by resource and code", expr: `sum by (resource, code) (rate(apiserver_request_total[${r}]))`, legend: "{{resource}} {{code}}", unit: "reqps" },
      { title: "Request latency p99 by verb", expr: p99("apiserver_request_duration_seconds", "verb"), legend: "{{verb}}", unit: "s" },
      { title: "In-flight requests", expr: "sum by (request_kind) (apiserver_current_inflight_requests)", legend: "{{request_kind}}", unit: "short" },
      { title: "etcd request latency p99 by operation", expr: p99("etcd_request_duration_seconds", "operation"), legend: "{{operation}}", unit: "s" },
      { title: "gRPC calls by method", expr: `sum by (grpc_method) (rate(grpc_server_handled_total{${j(jobs.apiserver)}}[${r}]))`, legend: "{{grpc_method}}", unit: "reqps" },
      { title: "gRPC calls by code", expr: `sum by (grpc_code) (rate(grpc_server_handled_total{${j(jobs.apiserver)}}[${r}]))`, legend: "{{grpc_code}}", unit: "reqps" },
      {
        title: "gRPC unary latency p99 by method",
        expr: p99("grpc_server_handling_seconds", "grpc_method", `{${j(jobs.apiserver)},grpc_type="unary"}`),
        legend: "{{grpc_method}}",
        unit: "s",
      },
      { title: "CPU", expr: `rate(process_cpu_seconds_total{${j(jobs.apiserver)}}[${r}])`, legend: "{{instance}}", unit: "short" },
      { title: "Resident memory", expr: `process_resident_memory_bytes{${j(jobs.apiserver)}}`, legend: "{{instance}}", unit: "bytes" },
    ],
  },
  {
    uid: "kubeplane-etcd",
    title: "Kubeplane / etcd",
    description: "Leadership, disk latency, database size against its quota, proposals (the etcd mixin's core panels).",
    panels: [
      { title: "Has leader", expr: "etcd_server_has_leader", legend: "{{instance}}", unit: "short" },
      { title: "Leader changes (1h)", expr: "sum(changes(etcd_server_leader_changes_seen_total[1h]))", type: "stat", unit: "short" },
      { title: "WAL fsync p99", expr: p99("etcd_disk_wal_fsync_duration_seconds", "instance"), legend: "{{instance}}", unit: "s" },
      { title: "Backend commit p99", expr: p99("etcd_disk_backend_commit_duration_seconds", "instance"), legend: "{{instance}}", unit: "s" },
      { title: "DB size", expr: "etcd_mvcc_db_total_size_in_bytes", legend: "{{instance}}", unit: "bytes" },
      { title: "DB size / quota", expr: "etcd_mvcc_db_total_size_in_bytes / etcd_server_quota_backend_bytes", legend: "{{instance}}", unit: "percentunit" },
      { title: "Proposals committed", expr: `sum by (instance) (rate(etcd_server_proposals_committed_total[${r}]))`, legend: "{{instance}}", unit: "ops" },
      { title: "Proposals failed", expr: `sum(rate(etcd_server_proposals_failed_total[${r}]))`, unit: "ops" },
    ],
  },
  {
    uid: "kubeplane-watch",
    title: "Kubeplane / Watch events and NATS",
    description: "The apiserver's watch publisher, gRPC watches, NATS connections, JetStream streams and consumer lag.",
    panels: [
      { title: "Watch events published by resource", expr: `sum by (resource) (rate(apiserver_watch_events_published_total[${r}]))`, legend: "{{resource}}", unit: "ops" },
      { title: "Publish lag p99", expr: p99("apiserver_watch_publish_lag_seconds", ""), unit: "s" },
      { title: "Publisher leader", expr: "sum(apiserver_watch_publisher_leader)", type: "stat", unit: "short" },
      { title: "Watch events sent to gRPC watchers", expr: `sum by (resource) (rate(apiserver_watch_events_total[${r}]))`, legend: "{{resource}}", unit: "ops" },
      { title: "gRPC watchers", expr: "sum by (resource) (apiserver_registered_watchers)", legend: "{{resource}}", unit: "short" },
      { title: "NATS connections", expr: "gnatsd_varz_connections", legend: "{{instance}}", unit: "short" },
      { title: "NATS messages in", expr: `sum by (instance) (rate(gnatsd_varz_in_msgs[${r}]))`, legend: "{{instance}}", unit: "ops" },
      { title: "NATS messages out", expr: `sum by (instance) (rate(gnatsd_varz_out_msgs[${r}]))`, legend: "{{instance}}", unit: "ops" },
      { title: "NATS slow consumers (messages dropped)", expr: "sum(gnatsd_varz_slow_consumers)", type: "stat", unit: "short" },
      { title: "JetStream stream messages", expr: "sum by (stream) (gnatsd_jetstream_stream_messages)", legend: "{{stream}}", unit: "short" },
      {
        title: "Furthest-behind watcher (JetStream consumer pending)",
        expr: "max by (stream) (gnatsd_jetstream_stream_consumer_max_pending_messages)",
        legend: "{{stream}}",
        unit: "short",
      },
    ],
  },
  {
    uid: "kubeplane-scheduler",
    title: "Kubeplane / Scheduler",
    description: "Scheduling attempts and their latency, the queues, framework extension points, leadership.",
    panels: [
      { title: "Attempts by result", expr: `sum by (result) (rate(scheduler_schedule_attempts_total[${r}]))`, legend: "{{result}}", unit: "ops" },
      { title: "Pending pods by queue", expr: "sum by (queue) (scheduler_pending_pods)", legend: "{{queue}}", unit: "short" },
      { title: "Attempt latency p99", expr: p99("scheduler_scheduling_attempt_duration_seconds", ""), unit: "s" },
      { title: "Pod scheduling SLI p99", expr: p99("scheduler_pod_scheduling_sli_duration_seconds", ""), unit: "s" },
      { title: "Extension point p99", expr: p99("scheduler_framework_extension_point_duration_seconds", "extension_point"), legend: "{{extension_point}}", unit: "s" },
      { title: "Leader", expr: `sum(leader_election_master_status{${j(jobs.scheduler)}})`, type: "stat", unit: "short" },
      { title: "CPU", expr: `rate(process_cpu_seconds_total{${j(jobs.scheduler)}}[${r}])`, legend: "{{instance}}", unit: "short" },
    ],
  },
  {
    uid: "kubeplane-controller-manager",
    title: "Kubeplane / Controller manager",
    description: "Work queues (depth, adds, queue and work duration) and reconciles per controller, both controller managers.",
    panels: [
      { title: "Work queue depth", expr: "sum by (job, name) (workqueue_depth)", legend: "{{name}}", unit: "short" },
      { title: "Work queue adds", expr: `sum by (name) (rate(workqueue_adds_total[${r}]))`, legend: "{{name}}", unit: "ops" },
      { title: "Queue duration p99", expr: p99("workqueue_queue_duration_seconds", "name"), legend: "{{name}}", unit: "s" },
      { title: "Work duration p99", expr: p99("workqueue_work_duration_seconds", "name"), legend: "{{name}}", unit: "s" },
      { title: "Reconciles by controller and result", expr: `sum by (controller, result) (rate(controller_runtime_reconcile_total[${r}]))`, legend: "{{controller}} {{result}}", unit: "ops" },
      { title: "Active workers", expr: "sum by (controller) (controller_runtime_active_workers)", legend: "{{controller}}", unit: "short" },
      { title: "Leader", expr: "sum by (job) (leader_election_master_status{job=~\"kube-controller-manager|cloud-controller-manager\"})", legend: "{{job}}", unit: "short" },
      { title: "LoadBalancer pool addresses free", expr: "sum(cloudprovider_loadbalancer_pool_addresses_free)", type: "stat", unit: "short" },
      {
        title: "Deployments: available / desired replicas",
        expr: "sum by (namespace, deployment) (kube_deployment_status_replicas_available) / sum by (namespace, deployment) (kube_deployment_spec_replicas)",
        legend: "{{namespace}}/{{deployment}}",
        unit: "percentunit",
      },
    ],
  },
  {
    uid: "kubeplane-kubelet",
    title: "Kubeplane / Kubelet and pods",
    description: "Pods and containers per node, pod start latency, runtime operations, per-container CPU and memory.",
    panels: [
      { title: "Running pods", expr: "sum by (instance) (kubelet_running_pods)", legend: "{{instance}}", unit: "short" },
      { title: "Pod start SLI p99", expr: p99("kubelet_pod_start_sli_duration_seconds", "instance"), legend: "{{instance}}", unit: "s" },
      { title: "Pod start p99", expr: p99("kubelet_pod_start_duration_seconds", "instance"), legend: "{{instance}}", unit: "s" },
      { title: "Containers waiting", expr: "count(kube_pod_container_status_waiting_reason) or vector(0)", type: "stat", unit: "short" },
      {
        title: "Container restarts (1h)",
        expr: "topk(10, sum by (namespace, pod) (increase(kube_pod_container_status_restarts_total[1h])))",
        legend: "{{namespace}}/{{pod}}",
        unit: "short",
      },
      { title: "Running containers", expr: "sum by (instance) (kubelet_running_containers)", legend: "{{instance}}", unit: "short", needs: "real-node" },
      { title: "Runtime operations p99", expr: p99("kubelet_runtime_operations_duration_seconds", "operation_type"), legend: "{{operation_type}}", unit: "s", needs: "real-node" },
      { title: "Pod sync p99", expr: p99("kubelet_pod_worker_duration_seconds", "instance"), legend: "{{instance}}", unit: "s", needs: "real-node" },
      {
        title: "Container CPU",
        expr: `sum by (namespace, pod) (rate(container_cpu_usage_seconds_total{container!=""}[${r}]))`,
        legend: "{{namespace}}/{{pod}}",
        unit: "short",
        needs: "real-node",
      },
      {
        title: "Container memory working set",
        expr: 'sum by (namespace, pod) (container_memory_working_set_bytes{container!=""})',
        legend: "{{namespace}}/{{pod}}",
        unit: "bytes",
        needs: "real-node",
      },
    ],
  },
  {
    uid: "kubeplane-networking",
    title: "Kubeplane / Networking",
    description: "kube-proxy's rule syncs, cluster DNS (CoreDNS' metric names) and the ingress controller.",
    panels: [
      { title: "kube-proxy sync p99", expr: p99("kubeproxy_sync_proxy_rules_duration_seconds", "instance"), legend: "{{instance}}", unit: "s" },
      { title: "kube-proxy last sync age", expr: "time() - kubeproxy_sync_proxy_rules_last_timestamp_seconds", legend: "{{instance}}", unit: "s" },
      { title: "nftables objects by kind", expr: "sum by (kind) (kubeproxy_sync_proxy_rules_nftables_objects)", legend: "{{kind}}", unit: "short" },
      { title: "DNS requests by type", expr: `sum by (type) (rate(coredns_dns_requests_total[${r}]))`, legend: "{{type}}", unit: "reqps" },
      { title: "DNS responses by rcode", expr: `sum by (rcode) (rate(coredns_dns_responses_total[${r}]))`, legend: "{{rcode}}", unit: "reqps" },
      { title: "DNS latency p99", expr: p99("coredns_dns_request_duration_seconds", "type"), legend: "{{type}}", unit: "s" },
      { title: "Ingress requests by status", expr: `sum by (status) (rate(ingress_controller_requests_total[${r}]))`, legend: "{{status}}", unit: "reqps" },
      { title: "Ingress config syncs", expr: `sum(rate(ingress_controller_config_syncs_total[${r}]))`, unit: "ops" },
    ],
  },
];
