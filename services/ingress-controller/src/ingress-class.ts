// Which Ingresses this controller serves: its class by spec.ingressClassName (or the legacy annotation).
import type { networkingV1 } from "@kubeplane/api";

/** The pre-IngressClass annotation still honoured by ingress-nginx when spec.ingressClassName is unset. */
export const LEGACY_CLASS_ANNOTATION = "kubernetes.io/ingress.class";

/** The class selection a controller was started with. */
export interface ClassSelection {
  ingressClass: string;
  /** Serve Ingresses naming no class at all. */
  watchIngressWithoutClass: boolean;
}

/** Whether `ingress` belongs to this controller. */
export function servesIngress(ingress: networkingV1.Ingress, selection: ClassSelection): boolean {
  const cls = ingress.spec?.ingressClassName || ingress.metadata?.annotations?.[LEGACY_CLASS_ANNOTATION] || "";
  return cls === "" ? selection.watchIngressWithoutClass : cls === selection.ingressClass;
}
