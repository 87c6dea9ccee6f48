// The ServiceAccounts controller: every active namespace has a `default` ServiceAccount (pods run as it unless they name another).
import { coreV1Config, isAlreadyExists, kindFor, type KindInfo } from "@kubeplane/api";
import type { ApiClient, Lister } from "@kubeplane/client";
import type { Logger, Reconciler, Request } from "@kubeplane/controller";
import type { ControllerContext } from "../context.js";
import { isNamespaceTerminating } from "../util/namespace-terminating.js";

const namespaces = kindFor("v1", "Namespace") as KindInfo<coreV1Config.Namespace>;
const serviceAccounts = kindFor("v1", "ServiceAccount") as KindInfo<coreV1Config.ServiceAccount>;

/** The ServiceAccounts every namespace gets (kube-controller-manager's --service-account-names default). */
export const DEFAULT_SERVICE_ACCOUNTS = ["default"] as const;

/**
 * Reconciles one namespace (the request's name): creates each missing DEFAULT_SERVICE_ACCOUNTS
 * entry unless the namespace is gone or terminating. Reads the informer caches; AlreadyExists
 * (the cache is behind) is success; other errors are thrown and retried.
 */
export class ServiceAccountsController implements Reconciler {
  constructor(
    private readonly client: ApiClient,
    private readonly namespaces: Lister<coreV1Config.Namespace>,
    private readonly serviceAccounts: Lister<coreV1Config.ServiceAccount>,
    private readonly logger: Logger,
  ) {}

  async reconcile({ name: namespace }: Request, signal: AbortSignal): Promise<void> {
    const ns = this.namespaces.get("", namespace);
    if (!ns || ns.metadata?.deletionTimestamp || ns.status?.phase === "Terminating") return;
    for (const name of DEFAULT_SERVICE_ACCOUNTS) {
      if (this.serviceAccounts.get(namespace, name)) continue;
      const sa = coreV1Config.ServiceAccount.fromPartial({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name, namespace } });
      try {
        await this.client.create(serviceAccounts, sa, { signal });
        this.logger.info({ kind: "ServiceAccount", namespace, name }, "created ServiceAccount");
      } catch (err) {
        if (isAlreadyExists(err) || isNamespaceTerminating(err)) continue;
        throw err;
      }
    }
  }
}

/** Builds the serviceaccount controller: namespaces, and their ServiceAccounts (a deleted `default` comes back). */
export function newServiceAccountsController(ctx: ControllerContext): void {
  const nsInformer = ctx.informers.informerFor(namespaces);
  const saInformer = ctx.informers.informerFor(serviceAccounts);
  const reconciler = new ServiceAccountsController(ctx.client, nsInformer.lister, saInformer.lister, ctx.logger);
  const controller = ctx.manager.newController({ name: "serviceaccount", reconciler, workers: ctx.config.workers });
  controller.watch(nsInformer);
  const enqueueNamespace = (sa: coreV1Config.ServiceAccount): void => {
    if ((DEFAULT_SERVICE_ACCOUNTS as readonly string[]).includes(sa.metadata?.name ?? "")) controller.enqueueKey(sa.metadata!.namespace);
  };
  saInformer.addEventHandler({ onDelete: enqueueNamespace });
}
