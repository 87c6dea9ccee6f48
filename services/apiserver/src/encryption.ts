// Encryption at rest of Secrets (ARCHITECTURE §3): AES-256-GCM with named keys, in Kubernetes'
// `k8s:enc:aesgcm:v1:<key>:` envelope, applied between the registry and etcd.
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import type { KindInfo } from "@kubeplane/api";

const PREFIX = "k8s:enc:aesgcm:v1:";
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** Turns stored bytes into what etcd holds and back; the identity for kinds it does not cover. */
export interface ValueTransformer {
  toStorage(info: KindInfo, plain: Uint8Array): Uint8Array;
  /** Throws EncryptionError for a value it cannot read (unknown key, tampered data). */
  fromStorage(info: KindInfo, stored: Uint8Array): Uint8Array;
  /** Whether values of this resource ("secrets") are transformed. */
  covers(resource: string): boolean;
}

export class EncryptionError extends Error {
  override readonly name = "EncryptionError";
  readonly code = "Encryption";
}

export const identityTransformer: ValueTransformer = {
  toStorage: (_info, plain) => plain,
  fromStorage: (_info, stored) => stored,
  covers: () => false,
};

interface NamedKey {
  name: string;
  key: Buffer;
}

/**
 * Reads an encryption key file: one key per line, `NAME:BASE64` of 32 random bytes
 * (`head -c 32 /dev/urandom | base64`), `#` comments allowed. The first key encrypts new writes;
 * every key decrypts, so keys rotate by adding a new first line and rewriting the Secrets.
 */
export function loadKeyFile(path: string): NamedKey[] {
  const keys: NamedKey[] = [];
  readFileSync(path, "utf8")
    .split("\n")
    .forEach((raw, i) => {
      const line = raw.trim();
      if (!line || line.startsWith("#")) return;
      const colon = line.indexOf(":");
      const name = line.slice(0, colon);
      const key = Buffer.from(line.slice(colon + 1), "base64");
      if (colon <= 0 || !/^[A-Za-z0-9_.-]+$/.test(name)) throw new EncryptionError(`${path}:${i + 1}: expected NAME:BASE64KEY`);
      if (key.length !== 32) throw new EncryptionError(`${path}:${i + 1}: key "${name}" is ${key.length} bytes; AES-256-GCM needs 32`);
      keys.push({ name, key });
    });
  if (keys.length === 0) throw new EncryptionError(`${path}: no keys`);
  return keys;
}

/** AES-GCM for the given resources (default Secrets). Values written before encryption was on still read. */
export function aesGcmTransformer(keys: NamedKey[], resources: readonly string[] = ["secrets"]): ValueTransformer {
  const covered = new Set(resources);
  const [writer] = keys;
  const byName = new Map(keys.map((k) => [k.name, k.key]));
  return {
    covers: (resource) => covered.has(resource),
    toStorage(info, plain) {
      if (!covered.has(info.resource)) return plain;
      const nonce = randomBytes(NONCE_BYTES);
      const cipher = createCipheriv("aes-256-gcm", writer!.key, nonce);
      const body = Buffer.concat([cipher.update(plain), cipher.final()]);
      return Buffer.concat([Buffer.from(`${PREFIX}${writer!.name}:`), nonce, body, cipher.getAuthTag()]);
    },
    fromStorage(info, stored) {
      if (!covered.has(info.resource)) return stored;
      const buf = Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength);
      if (!buf.subarray(0, PREFIX.length).equals(Buffer.from(PREFIX))) return stored; // written before encryption was enabled
      const end = buf.indexOf(":", PREFIX.length);
      const name = buf.subarray(PREFIX.length, end).toString();
      const key = byName.get(name);
      if (end < 0 || !key) throw new EncryptionError(`stored ${info.resource} value is encrypted with unknown key "${name}"`);
      const nonce = buf.subarray(end + 1, end + 1 + NONCE_BYTES);
      const body = buf.subarray(end + 1 + NONCE_BYTES, buf.length - TAG_BYTES);
      const decipher = createDecipheriv("aes-256-gcm", key, nonce);
      decipher.setAuthTag(buf.subarray(buf.length - TAG_BYTES));
      try {
        return Buffer.concat([decipher.update(body), decipher.final()]);
      } catch (err) {
        throw new EncryptionError(`stored ${info.resource} value does not decrypt with key "${name}"`, { cause: err });
      }
    },
  };
}
