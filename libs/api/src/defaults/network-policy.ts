// NetworkPolicy defaults (SetDefaults_NetworkPolicy): policyTypes from the rules present, ports' protocol TCP.
import type { NetworkPolicy } from "../gen/kubeplane/networking/v1/network_policy.js";

/** Ingress is always a policy type when none is given; Egress when egress rules exist. A port's protocol defaults to TCP. */
export function defaultNetworkPolicy(np: NetworkPolicy): void {
  np.spec ??= { podSelector: undefined, ingress: [], egress: [], policyTypes: [] };
  const s = np.spec;
  s.podSelector ??= { matchLabels: {}, matchExpressions: [] };
  for (const rule of [...s.ingress, ...s.egress]) for (const port of rule.ports) port.protocol ??= "TCP";
  if (s.policyTypes.length === 0) s.policyTypes = s.egress.length > 0 ? ["Ingress", "Egress"] : ["Ingress"];
}
