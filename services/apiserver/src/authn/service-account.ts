// ServiceAccount token authentication: a bearer JWT signed by the cluster's ServiceAccount key, bound to live objects.
import type { KeyObject } from "node:crypto";
import { apiErrors, type coreV1Config, type coreV1Pod } from "@kubeplane/api";
import type { Logger } from "@kubeplane/service-kit";
import { bearerToken, type Authenticator, type AuthnRequest } from "./authenticator.js";
import { looksLikeJws } from "./service-account-jwt.js";
import { InvalidServiceAccountTokenError, TOKEN_LEEWAY_SECONDS, verifyServiceAccountToken, type ServiceAccountClaims } from "./service-account-token.js";
import type { UserInfo } from "./user-info.js";

/** The group of every ServiceAccount, and the one of a namespace's ServiceAccounts (`system:serviceaccounts:<ns>`). */
export const SERVICE_ACCOUNTS_GROUP = "system:serviceaccounts";
export const POD_NAME_EXTRA = "authentication.kubernetes.io/pod-name";
export const POD_UID_EXTRA = "authentication.kubernetes.io/pod-uid";

/** Reads the objects a token is bound to; undefined when absent. Called on every token-authenticated request. */
export interface ServiceAccountTokenGetter {
  getServiceAccount(namespace: string, name: string): Promise<coreV1Config.ServiceAccount | undefined>;
  getPod(namespace: string, name: string): Promise<coreV1Pod.Pod | undefined>;
}

/** What the authenticator accepts. */
export interface ServiceAccountAuthenticatorOptions {
  /** Public keys that verify tokens (`serviceAccountKeyFile`; several during a key rotation). */
  keys: readonly KeyObject[];
  issuer: string;
  /** Audiences the apiserver accepts (`apiAudiences`). */
  audiences: readonly string[];
  getter: ServiceAccountTokenGetter;
  logger: Logger;
  now?: () => number;
}

/**
 * Authenticates `authorization: Bearer <jwt>` as the ServiceAccount the token names: user
 * `system:serviceaccount:<ns>:<name>`, groups `system:serviceaccounts` and
 * `system:serviceaccounts:<ns>`, extra the bound pod. A bearer token that is not a JWS passes by
 * (bootstrap tokens). A JWS with a bad signature, another issuer or audience, outside its validity,
 * or whose ServiceAccount or bound pod is gone or has another uid is refused as Unauthorized; the
 * reason goes to the debug log only, as Kubernetes keeps it from the caller.
 */
export class ServiceAccountTokenAuthenticator implements Authenticator {
  constructor(private readonly opts: ServiceAccountAuthenticatorOptions) {}

  async authenticate(req: AuthnRequest): Promise<UserInfo | undefined> {
    const token = bearerToken(req.metadata);
    if (!token || !looksLikeJws(token)) return undefined;
    try {
      const now = (this.opts.now ?? Date.now)();
      const claims = verifyServiceAccountToken(token, { keys: this.opts.keys, issuer: this.opts.issuer, audiences: this.opts.audiences, nowSeconds: Math.floor(now / 1000) });
      await this.checkBoundObjects(claims, now);
      return userOf(claims);
    } catch (err) {
      if (!(err instanceof InvalidServiceAccountTokenError)) throw err;
      this.opts.logger.debug({ reason: err.message }, "ServiceAccount token refused");
      throw apiErrors.apiError("Unauthorized", "Unauthorized: invalid bearer token");
    }
  }

  private async checkBoundObjects(claims: ServiceAccountClaims, now: number): Promise<void> {
    const { namespace, serviceaccount, pod } = claims["kubernetes.io"];
    const sa = await this.opts.getter.getServiceAccount(namespace, serviceaccount.name);
    if (!sa) throw new InvalidServiceAccountTokenError(`serviceaccount ${namespace}/${serviceaccount.name} not found`);
    if (sa.metadata?.uid !== serviceaccount.uid) {
      throw new InvalidServiceAccountTokenError(`serviceaccount ${namespace}/${serviceaccount.name} has uid ${sa.metadata?.uid}, the token ${serviceaccount.uid}`);
    }
    if (!pod) return;
    const found = await this.opts.getter.getPod(namespace, pod.name);
    if (!found) throw new InvalidServiceAccountTokenError(`pod ${namespace}/${pod.name} not found`);
    if (found.metadata?.uid !== pod.uid) throw new InvalidServiceAccountTokenError(`pod ${namespace}/${pod.name} has uid ${found.metadata?.uid}, the token ${pod.uid}`);
    // As Kubernetes: a token dies a minute after its pod's deletion time (graceful termination still has one).
    const deletion = found.metadata?.deletionTimestamp ? Date.parse(found.metadata.deletionTimestamp) : NaN;
    if (deletion + TOKEN_LEEWAY_SECONDS * 1000 < now) throw new InvalidServiceAccountTokenError(`pod ${namespace}/${pod.name} was deleted`);
  }
}

function userOf(claims: ServiceAccountClaims): UserInfo {
  const { namespace, serviceaccount, pod } = claims["kubernetes.io"];
  return {
    username: claims.sub,
    uid: serviceaccount.uid,
    groups: [SERVICE_ACCOUNTS_GROUP, `${SERVICE_ACCOUNTS_GROUP}:${namespace}`],
    ...(pod ? { extra: { [POD_NAME_EXTRA]: [pod.name], [POD_UID_EXTRA]: [pod.uid] } } : {}),
  };
}
