// The apiserver's authorization step: who may do what (privileged groups, Node, RBAC), access reviews, impersonation.
export { resourceAttributes, nonResourceAttributes, type RequestAttributes } from "./attributes.js";
export { PrivilegedGroupsAuthorizer, UnionAuthorizer, type Authorizer, type Decision, type Verdict } from "./authorizer.js";
export { authorizeCalls, type AuthorizeDeps } from "./authorize-calls.js";
export { bootstrapClusterRoleBindings, bootstrapClusterRoles } from "./bootstrap-policy.js";
export { ensureBootstrapPolicy } from "./bootstrap.js";
export { forbiddenError, forbiddenMessage } from "./forbidden.js";
export { NodeAuthorizer } from "./node-authorizer.js";
export { NodeGraph } from "./node-graph.js";
export { RbacAuthorizer } from "./rbac-authorizer.js";
export { RbacCache } from "./rbac-cache.js";
export { EscalationCheck } from "./rbac-escalation.js";
export { startAuthorization, type AuthorizationStep } from "./start.js";
