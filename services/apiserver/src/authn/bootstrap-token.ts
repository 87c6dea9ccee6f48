// Bootstrap token authentication: a bearer `<id>.<secret>` matching a kube-system bootstrap-token Secret is `system:bootstrap:<id>`.
import { timingSafeEqual } from "node:crypto";
import {
  apiErrors,
  BOOTSTRAPPERS_GROUP,
  BOOTSTRAP_TOKEN_NAMESPACE,
  BOOTSTRAP_TOKEN_SECRET_TYPE,
  BOOTSTRAP_USER_PREFIX,
  BootstrapTokenKeys,
  bootstrapSecretValue,
  bootstrapTokenSecretName,
  isBootstrapTokenExpired,
  isValidBootstrapExtraGroup,
  kindForResource,
  parseBootstrapToken,
  type ApiObject,
  type coreV1Config,
  type KindInfo,
} from "@kubeplane/api";
import { bearerToken, type Authenticator, type AuthnRequest } from "./authenticator.js";
import type { UserInfo } from "./user-info.js";

type Secret = coreV1Config.Secret;

/** Reads the Secret `bootstrap-token-<id>` of kube-system; undefined when there is none. */
export type BootstrapSecretLookup = (id: string) => Promise<Secret | undefined>;

function refused(why: string): Error {
  return apiErrors.apiError("Unauthorized", `Unauthorized: invalid bootstrap token: ${why}`);
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Kubernetes' bootstrap token authenticator. A bearer token not shaped like `<id>.<secret>` is not
 * its kind (undefined: another authenticator may know it). One that is, but names no Secret, a
 * Secret of another type or being deleted, a wrong secret half, an expired token or one not meant
 * for authentication, is refused with Unauthorized. The user is `system:bootstrap:<id>` in
 * `system:bootstrappers` plus the Secret's valid `auth-extra-groups`. Safe to call concurrently.
 */
export class BootstrapTokenAuthenticator implements Authenticator {
  constructor(
    private readonly lookup: BootstrapSecretLookup,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async authenticate(req: AuthnRequest): Promise<UserInfo | undefined> {
    const raw = bearerToken(req.metadata);
    const token = raw === undefined ? undefined : parseBootstrapToken(raw);
    if (!token) return undefined;
    const secret = await this.lookup(token.id);
    if (!secret || secret.type !== BOOTSTRAP_TOKEN_SECRET_TYPE || secret.metadata?.deletionTimestamp) throw refused(`no token with id ${token.id}`);
    if (bootstrapSecretValue(secret, BootstrapTokenKeys.id) !== token.id) throw refused(`the Secret of ${token.id} names another token`);
    if (!sameSecret(bootstrapSecretValue(secret, BootstrapTokenKeys.secret), token.secret)) throw refused(`wrong secret for ${token.id}`);
    if (isBootstrapTokenExpired(secret, this.now())) throw refused(`token ${token.id} has expired`);
    if (bootstrapSecretValue(secret, BootstrapTokenKeys.usageAuthentication) !== "true") throw refused(`token ${token.id} is not for authentication`);
    const extra = bootstrapSecretValue(secret, BootstrapTokenKeys.extraGroups)
      .split(",")
      .map((g) => g.trim())
      .filter((g) => g !== "");
    if (extra.some((g) => !isValidBootstrapExtraGroup(g))) throw refused(`token ${token.id} carries an invalid extra group`);
    return { username: `${BOOTSTRAP_USER_PREFIX}${token.id}`, groups: [BOOTSTRAPPERS_GROUP, ...extra.filter((g) => g !== BOOTSTRAPPERS_GROUP)] };
  }
}

/** Reads bootstrap token Secrets straight from the registry (decrypted), so a deleted token stops working at once. */
export function bootstrapSecretLookup(registry: { tryGet(info: KindInfo, namespace: string, name: string): Promise<{ obj: ApiObject } | undefined> }): BootstrapSecretLookup {
  const secrets = kindForResource("", "secrets")!;
  return async (id) => (await registry.tryGet(secrets, BOOTSTRAP_TOKEN_NAMESPACE, bootstrapTokenSecretName(id)))?.obj as Secret | undefined;
}
