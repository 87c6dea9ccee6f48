// The tokencleaner controller: deletes bootstrap token Secrets once their expiration has passed.
import { BOOTSTRAP_TOKEN_NAMESPACE, BOOTSTRAP_TOKEN_SECRET_TYPE, bootstrapTokenExpiration, isNotFound, kindForResource, type coreV1Config, type KindInfo } from "@kubeplane/api";
import type { ApiClient, Lister } from "@kubeplane/client";
import type { Logger, Reconciler, Request, Result } from "@kubeplane/controller";
import type { ControllerContext } from "../context.js";

type Secret = coreV1Config.Secret;
const secretKind = kindForResource("", "secrets") as KindInfo<Secret>;

/**
 * Reconciles one Secret: a kube-system bootstrap token whose expiration has passed is deleted
 * (with its resourceVersion as precondition, so a token just extended survives); one that expires
 * later is looked at again then. Other Secrets are ignored. Failures are thrown (retried).
 */
export class TokenCleaner implements Reconciler {
  constructor(
    private readonly client: ApiClient,
    private readonly secrets: Lister<Secret>,
    private readonly logger: Logger,
    private readonly now: () => Date,
  ) {}

  async reconcile({ namespace, name }: Request, signal: AbortSignal): Promise<Result | void> {
    if (namespace !== BOOTSTRAP_TOKEN_NAMESPACE) return;
    const secret = this.secrets.get(namespace, name);
    if (!secret || secret.type !== BOOTSTRAP_TOKEN_SECRET_TYPE || secret.metadata?.deletionTimestamp) return;
    const expiration = bootstrapTokenExpiration(secret);
    if (!expiration) return;
    const left = expiration.getTime() - this.now().getTime();
    if (left > 0) return { requeueAfterMs: left };
    try {
      await this.client.delete(secretKind, namespace, name, { preconditions: { resourceVersion: secret.metadata!.resourceVersion }, signal });
      this.logger.info({ component: "tokencleaner", namespace, name }, "expired bootstrap token deleted");
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}

export function newTokenCleaner(ctx: ControllerContext): void {
  const secrets = ctx.informers.informerFor(secretKind);
  const reconciler = new TokenCleaner(ctx.client, secrets.lister, ctx.logger, ctx.now);
  const controller = ctx.manager.newController({ name: "tokencleaner", reconciler, workers: 1 });
  controller.watch(secrets);
}
