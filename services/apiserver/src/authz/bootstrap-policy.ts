// The default ClusterRoles and ClusterRoleBindings (kube-apiserver's RBAC bootstrap policy), least privilege per component.
import { rbacV1 } from "@kubeplane/api";

type PolicyRule = rbacV1.PolicyRule;
type ClusterRole = rbacV1.ClusterRole;
type ClusterRoleBinding = rbacV1.ClusterRoleBinding;

const RBAC_GROUP = "rbac.authorization.k8s.io";
/** Bootstrap objects carry it; "false" stops the apiserver from reconciling them at start (as Kubernetes). */
export const AUTOUPDATE_ANNOTATION = "rbac.authorization.kubernetes.io/autoupdate";
export const AGGREGATE_TO = (role: "view" | "edit" | "admin"): string => `rbac.authorization.k8s.io/aggregate-to-${role}`;

const READ = ["get", "list", "watch"];
const WRITE = ["create", "delete", "deletecollection", "patch", "update"];
const ALL_VERBS = ["*"];

function rule(verbs: string[], apiGroups: string[], resources: string[], resourceNames: string[] = []): PolicyRule {
  return { verbs, apiGroups, resources, resourceNames, nonResourceUrls: [] };
}

function urls(verbs: string[], nonResourceUrls: string[]): PolicyRule {
  return { verbs, apiGroups: [], resources: [], resourceNames: [], nonResourceUrls };
}

const meta = (name: string, labels: Record<string, string> = {}) => ({
  name,
  labels: { "kubernetes.io/bootstrapping": "rbac-defaults", ...labels },
  annotations: { [AUTOUPDATE_ANNOTATION]: "true" },
});

function clusterRole(name: string, rules: PolicyRule[], labels: Record<string, string> = {}, aggregateFrom?: string): ClusterRole {
  return rbacV1.ClusterRole.fromPartial({
    apiVersion: `${RBAC_GROUP}/v1`,
    kind: "ClusterRole",
    metadata: meta(name, labels),
    rules,
    ...(aggregateFrom ? { aggregationRule: { clusterRoleSelectors: [{ matchLabels: { [aggregateFrom]: "true" } }] } } : {}),
  });
}

function binding(name: string, role: string, subjects: { kind: "User" | "Group"; name: string }[]): ClusterRoleBinding {
  return rbacV1.ClusterRoleBinding.fromPartial({
    apiVersion: `${RBAC_GROUP}/v1`,
    kind: "ClusterRoleBinding",
    metadata: meta(name),
    roleRef: { apiGroup: RBAC_GROUP, kind: "ClusterRole", name: role },
    subjects: subjects.map((s) => ({ ...s, apiGroup: RBAC_GROUP, namespace: "" })),
  });
}

const events = rule(["create", "patch", "update"], ["", "events.k8s.io"], ["events"]);
const leaderElection = rule(["get", "list", "watch", "create", "update", "patch"], ["coordination.k8s.io"], ["leases"]);

// What a namespace viewer, editor and admin may do (aggregated into view, edit and admin).
const viewRules: PolicyRule[] = [
  rule(READ, [""], ["configmaps", "endpoints", "persistentvolumeclaims", "persistentvolumeclaims/status", "pods", "pods/status", "pods/log",
    "replicationcontrollers", "replicationcontrollers/scale", "replicationcontrollers/status", "serviceaccounts", "services", "services/status",
    "bindings", "events", "limitranges", "resourcequotas", "resourcequotas/status", "namespaces", "namespaces/status"]),
  rule(READ, ["apps"], ["controllerrevisions", "daemonsets", "daemonsets/status", "deployments", "deployments/scale", "deployments/status",
    "replicasets", "replicasets/scale", "replicasets/status", "statefulsets", "statefulsets/scale", "statefulsets/status"]),
  rule(READ, ["autoscaling"], ["horizontalpodautoscalers", "horizontalpodautoscalers/status"]),
  rule(READ, ["batch"], ["cronjobs", "cronjobs/status", "jobs", "jobs/status"]),
  rule(READ, ["networking.k8s.io"], ["ingresses", "ingresses/status", "networkpolicies"]),
  rule(READ, ["discovery.k8s.io"], ["endpointslices"]),
  rule(READ, ["policy"], ["poddisruptionbudgets", "poddisruptionbudgets/status"]),
];
const editRules: PolicyRule[] = [
  rule(["impersonate"], [""], ["serviceaccounts"]),
  rule([...READ, ...WRITE], [""], ["pods", "pods/attach", "pods/exec", "pods/portforward", "pods/proxy"]),
  rule([...READ, ...WRITE], [""], ["configmaps", "endpoints", "persistentvolumeclaims", "replicationcontrollers", "replicationcontrollers/scale",
    "secrets", "serviceaccounts", "services", "services/proxy"]),
  rule(["create"], [""], ["serviceaccounts/token", "pods/eviction"]),
  rule([...READ, ...WRITE], ["apps"], ["daemonsets", "deployments", "deployments/rollback", "deployments/scale", "replicasets", "replicasets/scale",
    "statefulsets", "statefulsets/scale"]),
  rule([...READ, ...WRITE], ["autoscaling"], ["horizontalpodautoscalers"]),
  rule([...READ, ...WRITE], ["batch"], ["cronjobs", "jobs"]),
  rule([...READ, ...WRITE], ["networking.k8s.io"], ["ingresses", "networkpolicies"]),
  rule([...READ, ...WRITE], ["discovery.k8s.io"], ["endpointslices"]),
  rule([...READ, ...WRITE], ["policy"], ["poddisruptionbudgets"]),
];
// metrics.k8s.io (kpctl top): metrics-server's system:aggregated-metrics-reader. Labelled for view only: view
// aggregates into edit and edit into admin, so all three get it without the rule twice.
const metricsReaderRules: PolicyRule[] = [rule(READ, ["metrics.k8s.io"], ["pods", "nodes"])];
const adminRules: PolicyRule[] = [
  rule(["create"], ["authorization.k8s.io"], ["localsubjectaccessreviews"]),
  rule([...READ, ...WRITE], [RBAC_GROUP], ["rolebindings", "roles"]),
];

/** Every node-side component reads these to run pods. */
const nodeReads = [rule(READ, [""], ["nodes", "services", "endpoints"]), rule(READ, ["discovery.k8s.io"], ["endpointslices"])];

/** The default ClusterRoles. admin, edit and view are aggregated; their rules here are the aggregation of the defaults. */
export function bootstrapClusterRoles(): ClusterRole[] {
  const view = [...viewRules, ...metricsReaderRules]; // sources by name: "system:aggregate-to-view" < "system:aggregated-metrics-reader"
  const edit = [...editRules, ...view];
  const admin = [...edit, ...adminRules]; // the aggregation controller's order: source roles by name ("edit" < "system:aggregate-to-admin")
  return [
    clusterRole("cluster-admin", [rule(ALL_VERBS, ["*"], ["*"]), urls(ALL_VERBS, ["*"])]),
    clusterRole("system:discovery", [urls(["get"], ["/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/readyz", "/version", "/version/", "/openapi", "/openapi/*"])]),
    clusterRole("system:public-info-viewer", [urls(["get"], ["/healthz", "/livez", "/readyz", "/version", "/version/"])]),
    clusterRole("system:basic-user", [
      rule(["create"], ["authorization.k8s.io"], ["selfsubjectaccessreviews", "selfsubjectrulesreviews"]),
      rule(["create"], ["authentication.k8s.io"], ["selfsubjectreviews"]),
    ]),
    clusterRole("admin", admin, {}, AGGREGATE_TO("admin")),
    clusterRole("edit", edit, { [AGGREGATE_TO("admin")]: "true" }, AGGREGATE_TO("edit")),
    clusterRole("view", view, { [AGGREGATE_TO("edit")]: "true" }, AGGREGATE_TO("view")),
    clusterRole("system:aggregate-to-admin", adminRules, { [AGGREGATE_TO("admin")]: "true" }),
    clusterRole("system:aggregate-to-edit", editRules, { [AGGREGATE_TO("edit")]: "true" }),
    clusterRole("system:aggregate-to-view", viewRules, { [AGGREGATE_TO("view")]: "true" }),
    clusterRole("system:aggregated-metrics-reader", metricsReaderRules, { [AGGREGATE_TO("view")]: "true" }),
    clusterRole("system:kube-scheduler", [
      events,
      leaderElection,
      rule(READ, [""], ["nodes", "namespaces", "persistentvolumeclaims", "persistentvolumes", "services", "replicationcontrollers"]),
      rule([...READ, "delete", "patch", "update"], [""], ["pods"]),
      rule(["patch", "update"], [""], ["pods/status"]),
      rule(["create"], [""], ["pods/binding", "bindings"]),
      rule(READ, ["apps"], ["replicasets", "statefulsets"]),
      rule(READ, ["storage.k8s.io"], ["storageclasses", "csinodes", "csidrivers", "csistoragecapacities"]),
      rule(READ, ["scheduling.k8s.io"], ["priorityclasses"]),
      rule(READ, ["policy"], ["poddisruptionbudgets"]),
      rule(["create"], ["authorization.k8s.io"], ["subjectaccessreviews"]),
    ]),
    // The controllers share one identity (as kube-controller-manager without --use-service-account-credentials):
    // the namespace and garbage collectors read and delete every kind; the others write what they own.
    clusterRole("system:kube-controller-manager", [
      events,
      leaderElection,
      // The garbage collector also rewrites any object's ownerReferences and finalizers (orphaning).
      rule([...READ, "delete", "deletecollection", "update", "patch"], ["*"], ["*"]),
      rule(WRITE, [""], ["pods", "endpoints", "replicationcontrollers", "persistentvolumeclaims", "serviceaccounts", "secrets", "configmaps", "namespaces", "nodes", "services"]),
      rule(["update", "patch"], [""], ["pods/status", "replicationcontrollers/status", "namespaces/status", "namespaces/finalize", "nodes/status", "persistentvolumeclaims/status", "services/status", "resourcequotas/status"]),
      rule(["create"], [""], ["serviceaccounts/token"]),
      rule(WRITE, ["apps"], ["deployments", "replicasets", "daemonsets", "statefulsets", "controllerrevisions", "deployments/scale", "replicasets/scale", "statefulsets/scale"]),
      rule(["update", "patch"], ["apps"], ["deployments/status", "replicasets/status", "daemonsets/status", "statefulsets/status"]),
      rule(WRITE, ["batch"], ["jobs", "cronjobs"]),
      rule(["update", "patch"], ["batch"], ["jobs/status", "cronjobs/status"]),
      rule(["update", "patch"], ["autoscaling"], ["horizontalpodautoscalers/status"]),
      rule(["update", "patch"], ["policy"], ["poddisruptionbudgets/status"]),
      rule(["get", "update"], ["*"], ["*/scale"]),
      rule(WRITE, ["discovery.k8s.io"], ["endpointslices"]),
      // The clusterrole-aggregation controller writes aggregated rules it need not hold itself.
      rule(["update", "patch", "escalate"], [RBAC_GROUP], ["clusterroles"]),
      rule(["update", "patch"], ["certificates.k8s.io"], ["certificatesigningrequests/status", "certificatesigningrequests/approval"]),
      rule(["create"], ["authorization.k8s.io", "authentication.k8s.io"], ["subjectaccessreviews", "tokenreviews"]),
    ]),
    clusterRole("system:cloud-controller-manager", [
      events,
      leaderElection,
      rule([...READ, "update", "patch", "delete"], [""], ["nodes"]),
      rule(["update", "patch"], [""], ["nodes/status", "services/status", "persistentvolumes/status", "persistentvolumeclaims/status"]),
      rule(READ, [""], ["services", "pods", "endpoints"]),
      rule([...READ, "create", "update", "patch", "delete"], [""], ["persistentvolumes"]),
      rule([...READ, "update", "patch"], [""], ["persistentvolumeclaims"]),
      rule(READ, ["storage.k8s.io"], ["storageclasses"]),
    ]),
    // kube-proxy also enforces NetworkPolicy: it reads the policies and the pods and namespaces they select.
    clusterRole("system:node-proxier", [
      events,
      ...nodeReads,
      rule(READ, [""], ["pods", "namespaces"]),
      rule(READ, ["networking.k8s.io"], ["networkpolicies"]),
    ]),
    clusterRole("system:kubeplane:dns", [rule(READ, [""], ["services", "endpoints", "namespaces", "pods"]), rule(READ, ["discovery.k8s.io"], ["endpointslices"])]),
    clusterRole("system:kubeplane:ingress-controller", [
      events,
      leaderElection,
      rule(READ, [""], ["services", "endpoints", "secrets", "configmaps"]),
      rule(READ, ["discovery.k8s.io"], ["endpointslices"]),
      rule(READ, ["networking.k8s.io"], ["ingresses", "ingressclasses"]),
      rule(["update", "patch"], ["networking.k8s.io"], ["ingresses/status"]),
    ]),
    // Keeps nats-server's node users in step with the Nodes (services/nats-authorizer): it only reads Nodes.
    clusterRole("system:kubeplane:nats-authorizer", [rule(READ, [""], ["nodes"])]),
    // What every node may do beside the Node authorizer's own checks (its Node, Lease, pods and their objects).
    clusterRole("system:node", [
      events,
      ...nodeReads,
      rule(["create"], ["authorization.k8s.io", "authentication.k8s.io"], ["subjectaccessreviews", "tokenreviews"]),
      // Certificate rotation: a kubelet renews its client and serving certificates with CSRs (as Kubernetes' system:node).
      rule(["create", "get", "list", "watch"], ["certificates.k8s.io"], ["certificatesigningrequests"]),
    ]),
    // A kubelet that simulates many nodes (benches, scale tests) acts for all of them.
    clusterRole("system:kubeplane:node-simulator", [
      events,
      ...nodeReads,
      rule([...READ, "create", "update", "patch", "delete"], [""], ["nodes"]),
      rule(["update", "patch"], [""], ["nodes/status", "pods/status"]),
      rule([...READ, "delete"], [""], ["pods"]),
      rule(["get"], [""], ["secrets", "configmaps", "persistentvolumeclaims", "persistentvolumes"]),
      rule([...READ, "create", "update", "patch", "delete"], ["coordination.k8s.io"], ["leases"]),
    ]),
    clusterRole("system:node-bootstrapper", [rule(["create", "get", "list", "watch"], ["certificates.k8s.io"], ["certificatesigningrequests"])]),
    // Online etcd backups (the Backup RPC) and nothing else: for a backup job's own identity.
    clusterRole("system:kubeplane:etcd-backup", [urls(["get"], ["/backup/etcd-snapshot"])]),
  ];
}

/** The default ClusterRoleBindings. */
export function bootstrapClusterRoleBindings(): ClusterRoleBinding[] {
  const user = (name: string) => ({ kind: "User" as const, name });
  const group = (name: string) => ({ kind: "Group" as const, name });
  return [
    binding("cluster-admin", "cluster-admin", [group("system:masters")]),
    binding("system:discovery", "system:discovery", [group("system:authenticated")]),
    binding("system:public-info-viewer", "system:public-info-viewer", [group("system:authenticated"), group("system:unauthenticated")]),
    binding("system:basic-user", "system:basic-user", [group("system:authenticated")]),
    binding("system:kube-scheduler", "system:kube-scheduler", [user("system:kube-scheduler")]),
    binding("system:kube-controller-manager", "system:kube-controller-manager", [user("system:kube-controller-manager")]),
    binding("system:cloud-controller-manager", "system:cloud-controller-manager", [user("system:cloud-controller-manager")]),
    binding("system:node-proxier", "system:node-proxier", [user("system:kube-proxy")]),
    binding("system:kubeplane:dns", "system:kubeplane:dns", [user("system:kubeplane:dns")]),
    binding("system:kubeplane:ingress-controller", "system:kubeplane:ingress-controller", [user("system:kubeplane:ingress-controller")]),
    binding("system:kubeplane:nats-authorizer", "system:kubeplane:nats-authorizer", [user("system:kubeplane:nats-authorizer")]),
    binding("system:node", "system:node", [group("system:nodes")]),
    binding("system:kubeplane:node-simulator", "system:kubeplane:node-simulator", [user("system:kubeplane:node-simulator")]),
    binding("system:node-bootstrapper", "system:node-bootstrapper", [group("system:bootstrappers")]),
    binding("system:kubeplane:etcd-backup", "system:kubeplane:etcd-backup", [user("system:kubeplane:etcd-backup")]),
  ];
}
