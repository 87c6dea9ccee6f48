// Encryption at rest (ARCHITECTURE §3): AES-GCM with named keys in Kubernetes' `k8s:enc:aesgcm:v1:<key>:`
// envelope, the etcd key bound as additional authenticated data, applied between the registry and etcd.
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import type { KindInfo } from "@kubeplane/api";

const ENVELOPE = "k8s:enc:";
const AESGCM_PREFIX = "k8s:enc:aesgcm:v1:";
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** A named AES key of 16, 24 or 32 bytes (AES-128/192/256-GCM). */
export interface NamedKey {
  name: string;
  key: Buffer;
}

/** One provider of an EncryptionConfiguration, in order: the first writes, all read. */
export type Provider = { type: "aesgcm"; keys: NamedKey[] } | { type: "identity" };

/** Which resources a list of providers applies to: `secrets`, `deployments.apps`, `*.apps`, `*.` (core) or `*.*`. */
export interface ResourceRule {
  resources: string[];
  providers: Provider[];
}

/** A value read from etcd: its plaintext, and whether a write would store it differently (another key, no AAD, not encrypted). */
export interface ReadValue {
  plain: Uint8Array;
  stale: boolean;
}

/** Which way a value went, and through which envelope, for `apiserver_storage_transformation_operations_total`. */
export type TransformationObserver = (type: "to_storage" | "from_storage", prefix: string, status: "OK" | "Unknown") => void;

/**
 * Turns the bytes the registry stores into what etcd holds and back. `key` is the etcd key: it is
 * bound to the ciphertext, so a value copied to another key does not decrypt. Pure and synchronous;
 * safe for concurrent use.
 */
export interface ValueTransformer {
  toStorage(info: KindInfo, key: string, plain: Uint8Array): Uint8Array;
  /** Throws EncryptionError for a value it cannot read (unknown key, moved or tampered value, plaintext where none is allowed). */
  fromStorage(info: KindInfo, key: string, stored: Uint8Array): ReadValue;
  /** Whether values of this kind go through a provider other than the identity. */
  covers(info: KindInfo): boolean;
}

/** A stored value that cannot be read (or a configuration that cannot be used); `key` is the etcd key when there is one. */
export class EncryptionError extends Error {
  override readonly name = "EncryptionError";
  readonly code = "Encryption";
  constructor(
    message: string,
    readonly key?: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

function isEnvelope(buf: Buffer, prefix: string): boolean {
  return buf.length >= prefix.length && buf.subarray(0, prefix.length).toString("latin1") === prefix;
}

function cipherName(key: Buffer): "aes-128-gcm" | "aes-192-gcm" | "aes-256-gcm" {
  return `aes-${key.length * 8}-gcm` as "aes-128-gcm" | "aes-192-gcm" | "aes-256-gcm";
}

function seal(named: NamedKey, aad: string, plain: Uint8Array): Uint8Array {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv(cipherName(named.key), named.key, nonce);
  cipher.setAAD(Buffer.from(aad));
  const body = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.concat([Buffer.from(`${AESGCM_PREFIX}${named.name}:`), nonce, body, cipher.getAuthTag()]);
}

/** Opens nonce ‖ ciphertext ‖ tag; undefined when it does not authenticate with this AAD (or none). */
function open(key: Buffer, sealed: Buffer, aad: string | undefined): Buffer | undefined {
  if (sealed.length < NONCE_BYTES + TAG_BYTES) return undefined;
  const decipher = createDecipheriv(cipherName(key), key, sealed.subarray(0, NONCE_BYTES));
  if (aad !== undefined) decipher.setAAD(Buffer.from(aad));
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(sealed.subarray(NONCE_BYTES, sealed.length - TAG_BYTES)), decipher.final()]);
  } catch {
    return undefined;
  }
}

/** Whether `pattern` (an EncryptionConfiguration resource) names the kind. */
export function resourceMatches(pattern: string, info: KindInfo): boolean {
  const dot = pattern.indexOf(".");
  const resource = dot < 0 ? pattern : pattern.slice(0, dot);
  const group = dot < 0 ? "" : pattern.slice(dot + 1);
  return (resource === "*" || resource === info.resource) && (group === "*" || group === info.group);
}

/** The providers of one resource rule as a transformer for the kinds it matches. */
function ruleTransformer(providers: readonly Provider[], observe: TransformationObserver) {
  const first = providers[0]!;
  const writer = first.type === "aesgcm" ? first.keys[0]! : undefined;
  const keys = new Map<string, NamedKey>();
  for (const p of providers) if (p.type === "aesgcm") for (const k of p.keys) if (!keys.has(k.name)) keys.set(k.name, k);
  const readsPlaintext = providers.some((p) => p.type === "identity");
  return {
    toStorage(key: string, plain: Uint8Array): Uint8Array {
      if (!writer) {
        observe("to_storage", "identity", "OK");
        return plain;
      }
      observe("to_storage", `${AESGCM_PREFIX}${writer.name}:`, "OK");
      return seal(writer, key, plain);
    },
    fromStorage(info: KindInfo, key: string, stored: Uint8Array): ReadValue {
      const buf = Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength);
      if (!isEnvelope(buf, ENVELOPE)) {
        if (!readsPlaintext) {
          observe("from_storage", "identity", "Unknown");
          throw new EncryptionError(`the ${info.resource} value at ${key} is not encrypted, and identity is not among the providers of the encryption configuration`, key);
        }
        observe("from_storage", "identity", "OK");
        return { plain: stored, stale: writer !== undefined };
      }
      const end = isEnvelope(buf, AESGCM_PREFIX) ? buf.indexOf(":", AESGCM_PREFIX.length) : -1;
      const name = end < 0 ? "" : buf.subarray(AESGCM_PREFIX.length, end).toString();
      const named = keys.get(name);
      const prefix = end < 0 ? buf.subarray(0, Math.min(buf.length, 40)).toString("latin1") : `${AESGCM_PREFIX}${name}:`;
      if (!named) {
        observe("from_storage", end < 0 ? "unknown" : prefix, "Unknown");
        const what = end < 0 ? `an envelope this apiserver does not know (${JSON.stringify(prefix)}…)` : `key "${name}", which is not in this apiserver's encryption configuration`;
        throw new EncryptionError(`the ${info.resource} value at ${key} is encrypted with ${what}; add the key back (as a later line) to read it`, key);
      }
      const sealed = buf.subarray(end + 1);
      const bound = open(named.key, sealed, key);
      if (bound) {
        observe("from_storage", prefix, "OK");
        return { plain: bound, stale: named !== writer };
      }
      // Written before the etcd key was bound as AAD: still readable, and rewritten by the next write.
      const legacy = open(named.key, sealed, undefined);
      if (legacy) {
        observe("from_storage", prefix, "OK");
        return { plain: legacy, stale: true };
      }
      observe("from_storage", prefix, "Unknown");
      throw new EncryptionError(
        `the ${info.resource} value at ${key} does not decrypt with key "${name}": it was encrypted for another etcd key (copied or moved there) or it was altered`,
        key,
      );
    },
  };
}

/**
 * The transformer of an encryption configuration: for each kind, the first rule whose resources
 * match it; a kind no rule matches is stored as is (and an encrypted value of it is refused, not
 * misread as an object).
 */
export function newValueTransformer(rules: readonly ResourceRule[], observe: TransformationObserver = () => undefined): ValueTransformer {
  const compiled = rules.map((r) => ({ resources: r.resources, t: ruleTransformer(r.providers, observe) }));
  const ruleFor = (info: KindInfo) => compiled.find((r) => r.resources.some((p) => resourceMatches(p, info)))?.t;
  return {
    covers: (info) => ruleFor(info) !== undefined,
    toStorage: (info, key, plain) => ruleFor(info)?.toStorage(key, plain) ?? plain,
    fromStorage(info, key, stored) {
      const rule = ruleFor(info);
      if (rule) return rule.fromStorage(info, key, stored);
      if (isEnvelope(Buffer.from(stored.buffer, stored.byteOffset, Math.min(stored.byteLength, ENVELOPE.length)), ENVELOPE)) {
        throw new EncryptionError(`the ${info.resource} value at ${key} is encrypted, but this apiserver's encryption configuration does not cover ${info.resource}`, key);
      }
      return { plain: stored, stale: false };
    },
  };
}

/** No encryption (the `--encryption-provider=identity` opt-out, and unit tests of the bare store). */
export const identityTransformer: ValueTransformer = newValueTransformer([]);
