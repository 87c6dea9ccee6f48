// Kubernetes' defaults for HorizontalPodAutoscaler (autoscaling/v2 SetDefaults_HorizontalPodAutoscaler).
import type { HPAScalingRules, HorizontalPodAutoscaler } from "../gen/kubeplane/autoscaling/v2/horizontal_pod_autoscaler.js";

const scaleUp: HPAScalingRules = {
  stabilizationWindowSeconds: 0,
  selectPolicy: "Max",
  policies: [
    { type: "Pods", value: 4, periodSeconds: 15 },
    { type: "Percent", value: 100, periodSeconds: 15 },
  ],
};
// No stabilizationWindowSeconds: the HPA controller's --horizontal-pod-autoscaler-downscale-stabilization (5m) applies, as Kubernetes leaves it nil.
const scaleDown: HPAScalingRules = { selectPolicy: "Max", policies: [{ type: "Percent", value: 100, periodSeconds: 15 }] };

function fillRules(rules: HPAScalingRules | undefined, defaults: HPAScalingRules): HPAScalingRules {
  if (!rules) return structuredClone(defaults);
  rules.stabilizationWindowSeconds ??= defaults.stabilizationWindowSeconds;
  rules.selectPolicy ??= defaults.selectPolicy;
  if (rules.policies.length === 0) rules.policies = structuredClone(defaults.policies);
  return rules;
}

/** minReplicas 1, a cpu 80% utilization metric when none, and the scaling behavior's rules when behavior is set. */
export function defaultHpa(hpa: HorizontalPodAutoscaler): void {
  const s = hpa.spec;
  if (!s) return;
  s.minReplicas ??= 1;
  if (s.metrics.length === 0) {
    s.metrics = [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", value: "", averageValue: "", averageUtilization: 80 } } }];
  }
  if (s.behavior) {
    s.behavior.scaleUp = fillRules(s.behavior.scaleUp, scaleUp);
    s.behavior.scaleDown = fillRules(s.behavior.scaleDown, scaleDown);
  }
}
