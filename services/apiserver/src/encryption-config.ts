// The apiserver's encryption configuration: a key file (NAME:BASE64 lines) or Kubernetes' EncryptionConfiguration,
// required unless encryption is turned off by name (`--encryption-provider=identity`).
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { EncryptionError, type NamedKey, type Provider, type ResourceRule } from "./encryption.js";

const KEY_NAME = /^[A-Za-z0-9_.-]+$/;
const KEY_SIZES = [16, 24, 32];

function checkedKey(where: string, name: string, base64: string): NamedKey {
  if (!KEY_NAME.test(name)) throw new EncryptionError(`${where}: key name "${name}" must be letters, digits, "_", "." or "-"`);
  const key = Buffer.from(base64, "base64");
  if (!KEY_SIZES.includes(key.length)) throw new EncryptionError(`${where}: key "${name}" is ${key.length} bytes; AES-GCM needs 16, 24 or 32 (head -c 32 /dev/urandom | base64)`);
  return { name, key };
}

/**
 * The simple key file: one key per line, `NAME:BASE64` of 32 random bytes
 * (`head -c 32 /dev/urandom | base64`), `#` comments allowed. The first key encrypts new writes of
 * Secrets; every key decrypts; values stored before encryption was turned on still read.
 */
export function parseKeyFile(text: string, path: string): ResourceRule[] {
  const keys: NamedKey[] = [];
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith("#")) return;
    const colon = line.indexOf(":");
    if (colon <= 0) throw new EncryptionError(`${path}:${i + 1}: expected NAME:BASE64KEY`);
    keys.push(checkedKey(`${path}:${i + 1}`, line.slice(0, colon), line.slice(colon + 1)));
  });
  if (keys.length === 0) throw new EncryptionError(`${path}: no keys`);
  const names = keys.map((k) => k.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) throw new EncryptionError(`${path}: key "${twice}" appears twice`);
  return [{ resources: ["secrets"], providers: [{ type: "aesgcm", keys }, { type: "identity" }] }];
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Kubernetes' `apiserver.config.k8s.io/v1` EncryptionConfiguration (YAML or JSON), providers
 * `aesgcm` and `identity`; others (aescbc, secretbox, kms) are refused by name.
 */
export function parseEncryptionConfiguration(doc: unknown, path: string): ResourceRule[] {
  if (!isObject(doc) || doc.kind !== "EncryptionConfiguration") throw new EncryptionError(`${path}: not an EncryptionConfiguration`);
  if (doc.apiVersion !== "apiserver.config.k8s.io/v1") throw new EncryptionError(`${path}: apiVersion must be apiserver.config.k8s.io/v1, not ${JSON.stringify(doc.apiVersion)}`);
  if (!Array.isArray(doc.resources) || doc.resources.length === 0) throw new EncryptionError(`${path}: resources: at least one entry is required`);
  const seen = new Set<string>();
  return doc.resources.map((entry: unknown, i) => {
    const at = `${path}: resources[${i}]`;
    if (!isObject(entry) || !Array.isArray(entry.resources) || entry.resources.length === 0) throw new EncryptionError(`${at}.resources: at least one resource is required`);
    const resources = entry.resources.map((r: unknown, j) => {
      if (typeof r !== "string" || !/^(\*|[a-z0-9-]+)(\.(\*|[a-z0-9.-]*))?$/.test(r)) throw new EncryptionError(`${at}.resources[${j}]: ${JSON.stringify(r)} is not RESOURCE[.GROUP]`);
      if (seen.has(r)) throw new EncryptionError(`${at}.resources[${j}]: "${r}" is listed twice`);
      seen.add(r);
      return r;
    });
    if (!Array.isArray(entry.providers) || entry.providers.length === 0) throw new EncryptionError(`${at}.providers: at least one provider is required`);
    const providers = entry.providers.map((p: unknown, j): Provider => {
      const where = `${at}.providers[${j}]`;
      const [type, ...more] = isObject(p) ? Object.keys(p) : [];
      if (!type || more.length > 0) throw new EncryptionError(`${where}: exactly one provider type is required`);
      if (type === "identity") return { type: "identity" };
      if (type !== "aesgcm") throw new EncryptionError(`${where}: provider "${type}" is not supported (supported: aesgcm, identity)`);
      const spec = (p as Json).aesgcm;
      const keys = isObject(spec) && Array.isArray(spec.keys) ? spec.keys : [];
      if (keys.length === 0) throw new EncryptionError(`${where}.aesgcm.keys: at least one key is required`);
      return {
        type: "aesgcm",
        keys: keys.map((k: unknown, n) => {
          if (!isObject(k) || typeof k.name !== "string" || typeof k.secret !== "string") throw new EncryptionError(`${where}.aesgcm.keys[${n}]: name and secret are required`);
          return checkedKey(`${where}.aesgcm.keys[${n}]`, k.name, k.secret);
        }),
      };
    });
    return { resources, providers };
  });
}

/** Reads `path` in either format: an EncryptionConfiguration when the file says `kind: EncryptionConfiguration`, else key lines. */
export function loadEncryptionFile(path: string): ResourceRule[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new EncryptionError(`cannot read the encryption key file ${path}: ${(err as Error).message}`, undefined, { cause: err });
  }
  if (!/^\s*"?kind"?\s*:\s*"?EncryptionConfiguration/m.test(text)) return parseKeyFile(text, path);
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new EncryptionError(`${path}: not valid YAML: ${(err as Error).message}`, undefined, { cause: err });
  }
  return parseEncryptionConfiguration(doc, path);
}

/**
 * The encryption rules the apiserver runs with: the file's, or none when encryption is turned off
 * by name. Neither is a start-up error: Secrets are never stored in plaintext by omission.
 */
export function encryptionRules(config: { encryptionKeyFile?: string | undefined; encryptionProvider?: string | undefined }): ResourceRule[] {
  const { encryptionKeyFile, encryptionProvider } = config;
  if (encryptionProvider === "identity") {
    if (encryptionKeyFile) throw new EncryptionError("encryptionKeyFile and encryptionProvider=identity contradict each other: set one");
    return [];
  }
  if (!encryptionKeyFile) {
    throw new EncryptionError(
      "no encryption at rest configured: set --encryption-key-file (NAME:BASE64 key lines or an EncryptionConfiguration; see docs/security.md), or store Secrets in plaintext explicitly with --encryption-provider=identity",
    );
  }
  return loadEncryptionFile(encryptionKeyFile);
}
