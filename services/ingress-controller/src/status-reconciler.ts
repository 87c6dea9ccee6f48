// Writes the publish address into status.loadBalancer.ingress of each served Ingress, only when it differs.
import type { KindInfo, networkingV1 } from "@kubeplane/api";
import type { ApiClient, Lister } from "@kubeplane/client";
import type { Reconciler, Request } from "@kubeplane/controller";
import type { ClassSelection } from "./ingress-class.js";
import { servesIngress } from "./ingress-class.js";

/** Whether the Ingress's status already says exactly `[{ ip }]`. */
export function statusPublishes(ingress: networkingV1.Ingress, ip: string): boolean {
  const entries = ingress.status?.loadBalancer?.ingress ?? [];
  return entries.length === 1 && entries[0]!.ip === ip && !entries[0]!.hostname;
}

/**
 * Level-triggered: reads the Ingress from the cache and, if it is served and its status does
 * not name the publish address, writes it through the status subresource (optimistic on
 * resourceVersion: a Conflict is retried with back-off once the cache caught up). Ingresses of
 * another class are left alone, since their controller owns their status.
 */
export class StatusReconciler implements Reconciler {
  constructor(
    private readonly client: ApiClient,
    private readonly kind: KindInfo<networkingV1.Ingress>,
    private readonly lister: Lister<networkingV1.Ingress>,
    private readonly selection: ClassSelection,
    private readonly publishAddress: string,
  ) {}

  async reconcile(request: Request, signal: AbortSignal): Promise<void> {
    const ingress = this.lister.get(request.namespace, request.name);
    if (!ingress || !servesIngress(ingress, this.selection) || statusPublishes(ingress, this.publishAddress)) return;
    const status: networkingV1.IngressStatus = { loadBalancer: { ingress: [{ ip: this.publishAddress, hostname: "", ports: [] }] } };
    const updated: networkingV1.Ingress = { ...ingress, status };
    await this.client.updateStatus(this.kind, updated, { signal });
  }
}
