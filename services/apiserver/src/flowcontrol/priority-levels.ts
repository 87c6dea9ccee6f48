// API Priority and Fairness' configuration, simplified: Kubernetes' default priority levels and the flow schemas that pick one.
import { AUTHENTICATED_GROUP, MASTERS_GROUP, SERVICE_ACCOUNTS_GROUP, type UserInfo } from "../authn/index.js";

/** A priority level: its share of the server's seats and how its requests queue. */
export interface PriorityLevelSpec {
  name: string;
  /** nominalConcurrencyShares: the level's nominal seats are ⌈limit × shares / Σ shares⌉. */
  shares: number;
  /** Percentage of the nominal seats other levels may borrow while this level does not use them. */
  lendablePercent: number;
  /** Queues of the level (0: no queuing, a request without a free seat is rejected). */
  queues: number;
  /** Queues a flow is dealt (shuffle sharding); it joins the shortest of them. */
  handSize: number;
  /** Requests one queue may hold. */
  queueLengthLimit: number;
}

/** Kubernetes' defaults (v1.29+ `flowcontrol.apiserver.k8s.io/v1`), without `exempt` and `node-high`. */
export const defaultPriorityLevels: readonly PriorityLevelSpec[] = [
  { name: "system", shares: 30, lendablePercent: 33, queues: 64, handSize: 6, queueLengthLimit: 50 },
  { name: "leader-election", shares: 10, lendablePercent: 0, queues: 16, handSize: 4, queueLengthLimit: 50 },
  { name: "workload-high", shares: 40, lendablePercent: 50, queues: 128, handSize: 6, queueLengthLimit: 50 },
  { name: "workload-low", shares: 100, lendablePercent: 90, queues: 128, handSize: 6, queueLengthLimit: 50 },
  { name: "global-default", shares: 20, lendablePercent: 50, queues: 128, handSize: 6, queueLengthLimit: 50 },
  { name: "catch-all", shares: 5, lendablePercent: 0, queues: 0, handSize: 0, queueLengthLimit: 0 },
];

/** What a flow schema looks at: the (impersonated) user, the gRPC method and the resource. */
export interface FlowRequest {
  user: UserInfo;
  method: string;
  resource: string;
}

/** A flow schema: which requests it matches and the priority level they go to; flows are distinguished by user. */
export interface FlowSchema {
  name: string;
  priorityLevel: string;
  matches(req: FlowRequest): boolean;
}

const NODES_GROUP = "system:nodes";
const LEADER_ELECTORS = new Set(["system:kube-controller-manager", "system:kube-scheduler", "system:cloud-controller-manager"]);
const LEADER_ELECTION_METHODS = new Set(["get", "create", "update"]);

/**
 * A control-plane identity of the cluster's own: a `system:` user that is neither a
 * ServiceAccount, a bootstrap token nor anonymous (kube-scheduler, kube-controller-manager,
 * kube-proxy, dns, …), or a kube-system ServiceAccount.
 */
export function isControlPlaneUser(user: UserInfo): boolean {
  const name = user.username;
  if (name.startsWith("system:serviceaccount:")) return name.startsWith("system:serviceaccount:kube-system:");
  return name.startsWith("system:") && !name.startsWith("system:bootstrap:") && name !== "system:anonymous";
}

/** Whether a user is the cluster's own (control plane, nodes) or an administrator: the higher watch cap. */
export function isSystemIdentity(user: UserInfo): boolean {
  return isControlPlaneUser(user) || user.groups.includes(NODES_GROUP) || user.groups.includes(MASTERS_GROUP);
}

/** Kubernetes' default flow schemas, simplified, in matching precedence order; the last matches everything. */
export const defaultFlowSchemas: readonly FlowSchema[] = [
  {
    name: "system-leader-election",
    priorityLevel: "leader-election",
    matches: (r) => LEADER_ELECTORS.has(r.user.username) && r.resource === "leases" && LEADER_ELECTION_METHODS.has(r.method),
  },
  { name: "system-nodes", priorityLevel: "system", matches: (r) => r.user.groups.includes(NODES_GROUP) },
  { name: "system-components", priorityLevel: "workload-high", matches: (r) => isControlPlaneUser(r.user) },
  { name: "service-accounts", priorityLevel: "workload-low", matches: (r) => r.user.groups.includes(SERVICE_ACCOUNTS_GROUP) },
  { name: "global-default", priorityLevel: "global-default", matches: (r) => r.user.groups.includes(AUTHENTICATED_GROUP) },
  { name: "catch-all", priorityLevel: "catch-all", matches: () => true },
];

/** The first flow schema that matches (the catch-all at worst). */
export function classify(req: FlowRequest, schemas: readonly FlowSchema[] = defaultFlowSchemas): FlowSchema {
  return schemas.find((s) => s.matches(req)) ?? schemas[schemas.length - 1]!;
}
