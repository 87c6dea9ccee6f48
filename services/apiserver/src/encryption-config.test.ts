// Unit tests of the encryption configuration: the key file, Kubernetes' EncryptionConfiguration, and the required choice.
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { encryptionRules, loadEncryptionFile } from "./encryption-config.js";

const b64 = (byte: number, n = 32): string => Buffer.alloc(n, byte).toString("base64");
let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "kp-enc-config-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

test("the key file takes NAME:BASE64 lines (first writes) for Secrets, plaintext still readable; short keys and duplicates are refused", async () => {
  const rules = loadEncryptionFile(await file("keys", `# comment\nk2:${b64(2)}\nk1:${b64(1)}\n`));
  assert.deepEqual(rules[0]!.resources, ["secrets"]);
  const [gcm, identity] = rules[0]!.providers;
  assert.deepEqual(gcm?.type === "aesgcm" && gcm.keys.map((k) => k.name), ["k2", "k1"]);
  assert.equal(identity?.type, "identity");
  assert.throws(() => loadEncryptionFile(join(dir, "keys-short")), /cannot read the encryption key file/);
  await writeFile(join(dir, "keys-short"), `k:${b64(0, 8)}\n`);
  assert.throws(() => loadEncryptionFile(join(dir, "keys-short")), /keys-short:1: key "k" is 8 bytes; AES-GCM needs 16, 24 or 32/);
  const dup = await file("dup", `a:${b64(1)}\na:${b64(2)}\n`);
  assert.throws(() => loadEncryptionFile(dup), /key "a" appears twice/);
  const empty = await file("empty", "# nothing\n");
  assert.throws(() => loadEncryptionFile(empty), /no keys/);
});

test("an EncryptionConfiguration is read as Kubernetes writes it; unsupported providers are refused by name", async () => {
  const rules = loadEncryptionFile(
    await file(
      "enc.yaml",
      [
        "apiVersion: apiserver.config.k8s.io/v1",
        "kind: EncryptionConfiguration",
        "resources:",
        "  - resources: [secrets, configmaps]",
        "    providers:",
        "      - aesgcm:",
        "          keys:",
        `            - {name: key2, secret: "${b64(2)}"}`,
        `            - {name: key1, secret: "${b64(1, 16)}"}`,
        "      - identity: {}",
      ].join("\n"),
    ),
  );
  assert.deepEqual(rules[0]!.resources, ["secrets", "configmaps"]);
  assert.deepEqual(rules[0]!.providers.map((p) => p.type), ["aesgcm", "identity"]);
  const bad = await file("aescbc.yaml", `apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n  - resources: [secrets]\n    providers:\n      - aescbc:\n          keys: [{name: k, secret: "${b64(1)}"}]\n`);
  assert.throws(() => loadEncryptionFile(bad), /resources\[0\]\.providers\[0\]: provider "aescbc" is not supported \(supported: aesgcm, identity\)/);
  const v2 = await file("v2.yaml", "apiVersion: apiserver.config.k8s.io/v2\nkind: EncryptionConfiguration\nresources: []\n");
  assert.throws(() => loadEncryptionFile(v2), /apiVersion must be apiserver.config.k8s.io\/v1/);
});

test("encryption is required: no key file and no identity opt-out is refused; the opt-out and a key file contradict", async () => {
  assert.throws(() => encryptionRules({}), /no encryption at rest configured: set --encryption-key-file .* or store Secrets in plaintext explicitly with --encryption-provider=identity/);
  assert.deepEqual(encryptionRules({ encryptionProvider: "identity" }), []);
  const keys = await file("k", `k:${b64(3)}\n`);
  assert.throws(() => encryptionRules({ encryptionKeyFile: keys, encryptionProvider: "identity" }), /contradict/);
  assert.equal(encryptionRules({ encryptionKeyFile: keys, encryptionProvider: "aesgcm" }).length, 1);
});
