// Bootstrap tokens (kubeadm's `<id>.<secret>`): their Secret's type, name, keys and the rules every user of them shares.
import { randomInt } from "node:crypto";
import { Secret } from "./gen/kubeplane/core/v1/config.js";

/** The Secret type that holds a bootstrap token. */
export const BOOTSTRAP_TOKEN_SECRET_TYPE = "bootstrap.kubernetes.io/token";
/** Bootstrap token Secrets live here. */
export const BOOTSTRAP_TOKEN_NAMESPACE = "kube-system";
/** Every bootstrap token's user is in this group. */
export const BOOTSTRAPPERS_GROUP = "system:bootstrappers";
/** The prefix of a bootstrap token's user name: `system:bootstrap:<id>`. */
export const BOOTSTRAP_USER_PREFIX = "system:bootstrap:";
/** The group kubeadm gives the tokens it creates for joining nodes. */
export const DEFAULT_BOOTSTRAP_EXTRA_GROUP = "system:bootstrappers:kubeadm:default-node-token";

/** The keys of a bootstrap token Secret's data. */
export const BootstrapTokenKeys = {
  id: "token-id",
  secret: "token-secret",
  expiration: "expiration",
  description: "description",
  usageAuthentication: "usage-bootstrap-authentication",
  usageSigning: "usage-bootstrap-signing",
  extraGroups: "auth-extra-groups",
} as const;

const tokenPattern = /^([a-z0-9]{6})\.([a-z0-9]{16})$/;
const extraGroupPattern = /^system:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]$/;
const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";

/** A token split into its public id and its secret half. */
export interface BootstrapToken {
  id: string;
  secret: string;
}

/** Splits `<id>.<secret>`; undefined when the string is not shaped like a bootstrap token. */
export function parseBootstrapToken(token: string): BootstrapToken | undefined {
  const m = tokenPattern.exec(token);
  return m ? { id: m[1]!, secret: m[2]! } : undefined;
}

/** A fresh random token (crypto-strong): 6 + 16 characters of [a-z0-9]. */
export function generateBootstrapToken(): BootstrapToken {
  const pick = (n: number): string => Array.from({ length: n }, () => alphabet[randomInt(alphabet.length)]).join("");
  return { id: pick(6), secret: pick(16) };
}

/** `bootstrap-token-<id>`. */
export function bootstrapTokenSecretName(id: string): string {
  return `bootstrap-token-${id}`;
}

/** Whether an extra group is one a bootstrap token may carry (`system:bootstrappers:…`). */
export function isValidBootstrapExtraGroup(group: string): boolean {
  return extraGroupPattern.test(group);
}

/** A Secret's data value decoded from base64 ("" when absent). */
export function bootstrapSecretValue(secret: Secret, key: string): string {
  const value = secret.data[key];
  return value ? Buffer.from(value, "base64").toString("utf8") : "";
}

/** The token's expiry, or undefined when it never expires (or the value is not a time). */
export function bootstrapTokenExpiration(secret: Secret): Date | undefined {
  const text = bootstrapSecretValue(secret, BootstrapTokenKeys.expiration);
  if (!text) return undefined;
  const at = new Date(text);
  // An unparsable expiration is treated as already expired: a token must never live longer than meant.
  return Number.isNaN(at.getTime()) ? new Date(0) : at;
}

/** Whether the token's expiration lies before `now`. */
export function isBootstrapTokenExpired(secret: Secret, now: Date = new Date()): boolean {
  const at = bootstrapTokenExpiration(secret);
  return at !== undefined && at.getTime() <= now.getTime();
}

/** What `kpctl token create` (kubeadm token create) puts into a token's Secret. */
export interface BootstrapTokenSpec {
  token: BootstrapToken;
  /** When it stops working; undefined: never (kubeadm's --ttl 0). */
  expires?: Date | undefined;
  description?: string | undefined;
  /** Extra groups (`system:bootstrappers:…`); default kubeadm's default-node-token group. */
  groups?: string[] | undefined;
}

/** The kube-system Secret that makes `spec.token` a bootstrap token usable for authentication (and signing). */
export function bootstrapTokenSecret(spec: BootstrapTokenSpec): Secret {
  const b64 = (v: string): string => Buffer.from(v, "utf8").toString("base64");
  const data: Record<string, string> = {
    [BootstrapTokenKeys.id]: b64(spec.token.id),
    [BootstrapTokenKeys.secret]: b64(spec.token.secret),
    [BootstrapTokenKeys.usageAuthentication]: b64("true"),
    [BootstrapTokenKeys.usageSigning]: b64("true"),
    [BootstrapTokenKeys.extraGroups]: b64((spec.groups ?? [DEFAULT_BOOTSTRAP_EXTRA_GROUP]).join(",")),
  };
  if (spec.expires) data[BootstrapTokenKeys.expiration] = b64(spec.expires.toISOString().replace(/\.\d{3}Z$/, "Z"));
  if (spec.description) data[BootstrapTokenKeys.description] = b64(spec.description);
  return Secret.fromPartial({
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: bootstrapTokenSecretName(spec.token.id), namespace: BOOTSTRAP_TOKEN_NAMESPACE },
    type: BOOTSTRAP_TOKEN_SECRET_TYPE,
    data,
  });
}
