// ServiceAccount tokens: the claims of Kubernetes' bound tokens, issued (signed) and checked (signature, time, audience).
import type { KeyObject } from "node:crypto";
import { signJws, verifyJws, type JwsSigningKey } from "./service-account-jwt.js";

/** Kubernetes' default issuer and audience of ServiceAccount tokens. */
export const DEFAULT_SERVICE_ACCOUNT_ISSUER = "https://kubernetes.default.svc.cluster.local";
/** Leeway for clock skew when checking exp, nbf and iat (Kubernetes' jwt.DefaultLeeway). */
export const TOKEN_LEEWAY_SECONDS = 60;
const SERVICE_ACCOUNT_PREFIX = "system:serviceaccount:";

/** A name and uid, as the `kubernetes.io` claim records each object. */
export interface ObjectRef {
  name: string;
  uid: string;
}

/** The claims of a bound ServiceAccount token (Kubernetes' private claims under `kubernetes.io`). */
export interface ServiceAccountClaims {
  iss: string;
  sub: string;
  aud: string[];
  exp: number;
  iat: number;
  nbf: number;
  jti?: string;
  "kubernetes.io": {
    namespace: string;
    serviceaccount: ObjectRef;
    pod?: ObjectRef;
  };
}

/** A token the apiserver refuses; `message` is the reason (logged, never sent to the caller). */
export class InvalidServiceAccountTokenError extends Error {
  override readonly name = "InvalidServiceAccountTokenError";
  readonly code = "InvalidServiceAccountToken";
}

/** `system:serviceaccount:<ns>:<name>`. */
export function serviceAccountUsername(namespace: string, name: string): string {
  return `${SERVICE_ACCOUNT_PREFIX}${namespace}:${name}`;
}

/** What a token is issued for. */
export interface TokenSpec {
  namespace: string;
  serviceAccount: ObjectRef;
  pod?: ObjectRef | undefined;
  audiences: string[];
  expirationSeconds: number;
}

/** Signs ServiceAccount tokens with the cluster's ServiceAccount key (`sa.key`). Stateless; safe to share. */
export class ServiceAccountTokenIssuer {
  constructor(
    private readonly key: JwsSigningKey,
    readonly issuer: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** A signed token and its expiry (seconds since the epoch). */
  issue(spec: TokenSpec, jti: string): { token: string; expiresAt: number } {
    const iat = Math.floor(this.now() / 1000);
    const exp = iat + spec.expirationSeconds;
    const claims: ServiceAccountClaims = {
      aud: spec.audiences,
      exp,
      iat,
      iss: this.issuer,
      jti,
      "kubernetes.io": {
        namespace: spec.namespace,
        ...(spec.pod ? { pod: spec.pod } : {}),
        serviceaccount: spec.serviceAccount,
      },
      nbf: iat,
      sub: serviceAccountUsername(spec.namespace, spec.serviceAccount.name),
    };
    return { token: signJws(claims, this.key), expiresAt: exp };
  }
}

function isRef(v: unknown): v is ObjectRef {
  return !!v && typeof v === "object" && typeof (v as ObjectRef).name === "string" && typeof (v as ObjectRef).uid === "string";
}

/**
 * The claims of `token` once its signature (one of `keys`), issuer, audience (one of `audiences`)
 * and validity window check out, with TOKEN_LEEWAY_SECONDS of skew. Throws
 * InvalidServiceAccountTokenError with the reason otherwise. Whether the objects still exist is the
 * caller's check (it needs the API).
 */
export function verifyServiceAccountToken(
  token: string,
  opts: { keys: readonly KeyObject[]; issuer: string; audiences: readonly string[]; nowSeconds: number },
): ServiceAccountClaims {
  let payload: Record<string, unknown>;
  try {
    payload = verifyJws(token, opts.keys);
  } catch (err) {
    throw new InvalidServiceAccountTokenError((err as Error).message, { cause: err });
  }
  if (payload.iss !== opts.issuer) throw new InvalidServiceAccountTokenError(`issuer ${JSON.stringify(payload.iss)} is not ${JSON.stringify(opts.issuer)}`);
  const aud = typeof payload.aud === "string" ? [payload.aud] : Array.isArray(payload.aud) ? payload.aud.filter((a): a is string => typeof a === "string") : [];
  if (!aud.some((a) => opts.audiences.includes(a))) throw new InvalidServiceAccountTokenError(`token audiences ${JSON.stringify(aud)} are not accepted`);
  const { exp, nbf, iat } = payload;
  if (typeof exp !== "number") throw new InvalidServiceAccountTokenError("the token has no expiry");
  if (opts.nowSeconds > exp + TOKEN_LEEWAY_SECONDS) throw new InvalidServiceAccountTokenError("the token has expired");
  if (typeof nbf === "number" && opts.nowSeconds < nbf - TOKEN_LEEWAY_SECONDS) throw new InvalidServiceAccountTokenError("the token is not valid yet");
  if (typeof iat === "number" && opts.nowSeconds < iat - TOKEN_LEEWAY_SECONDS) throw new InvalidServiceAccountTokenError("the token was issued in the future");
  const k8s = payload["kubernetes.io"] as ServiceAccountClaims["kubernetes.io"] | undefined;
  if (!k8s || typeof k8s.namespace !== "string" || !isRef(k8s.serviceaccount) || (k8s.pod !== undefined && !isRef(k8s.pod))) {
    throw new InvalidServiceAccountTokenError("the token has no valid kubernetes.io claim");
  }
  if (payload.sub !== serviceAccountUsername(k8s.namespace, k8s.serviceaccount.name)) {
    throw new InvalidServiceAccountTokenError("the token's subject does not match its ServiceAccount");
  }
  return { ...(payload as unknown as ServiceAccountClaims), aud };
}
