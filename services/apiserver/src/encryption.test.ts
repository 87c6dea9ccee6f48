// Unit tests of Secret encryption at rest: round trip, envelope, key rotation, tampering, plaintext reads.
import assert from "node:assert/strict";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { kindFor } from "@kubeplane/api";
import { EncryptionError, aesGcmTransformer, loadKeyFile } from "./encryption.js";

const secrets = kindFor("v1", "Secret")!;
const configMaps = kindFor("v1", "ConfigMap")!;
const key = (byte: number): Buffer => Buffer.alloc(32, byte);

test("a Secret is sealed in the k8s:enc:aesgcm:v1 envelope and reads back; other kinds pass through", () => {
  const t = aesGcmTransformer([{ name: "k1", key: key(1) }]);
  const plain = Buffer.from("password=hunter2");
  const sealed = t.toStorage(secrets, plain);
  assert.ok(Buffer.from(sealed).subarray(0, 21).toString().startsWith("k8s:enc:aesgcm:v1:k1:"));
  assert.ok(!Buffer.from(sealed).includes(plain), "the plaintext is not in etcd");
  assert.deepEqual(Buffer.from(t.fromStorage(secrets, sealed)), plain);
  assert.notDeepEqual(Buffer.from(t.toStorage(secrets, plain)), Buffer.from(sealed), "a fresh nonce per write");
  assert.equal(t.toStorage(configMaps, plain), plain);
});

test("a rotated key set still reads values sealed with an older key; unknown keys and tampering fail", () => {
  const old = aesGcmTransformer([{ name: "old", key: key(1) }]);
  const rotated = aesGcmTransformer([{ name: "new", key: key(2) }, { name: "old", key: key(1) }]);
  const sealedOld = old.toStorage(secrets, Buffer.from("x"));
  assert.equal(Buffer.from(rotated.fromStorage(secrets, sealedOld)).toString(), "x");
  assert.ok(Buffer.from(rotated.toStorage(secrets, Buffer.from("y"))).toString().startsWith("k8s:enc:aesgcm:v1:new:"));
  const onlyNew = aesGcmTransformer([{ name: "new", key: key(2) }]);
  assert.throws(() => onlyNew.fromStorage(secrets, sealedOld), EncryptionError);
  const tampered = Buffer.from(sealedOld);
  tampered[tampered.length - 20]! ^= 1;
  assert.throws(() => old.fromStorage(secrets, tampered), /does not decrypt/);
});

test("values written before encryption was enabled still read", () => {
  const t = aesGcmTransformer([{ name: "k1", key: key(1) }]);
  assert.equal(Buffer.from(t.fromStorage(secrets, Buffer.from("plain"))).toString(), "plain");
});

test("the key file takes NAME:BASE64 lines and refuses short keys", async () => {
  const dir = await mkdtemp(join(tmpdir(), "kp-keys-"));
  const good = join(dir, "keys");
  await writeFile(good, `# comment\nk2:${key(2).toString("base64")}\nk1:${key(1).toString("base64")}\n`);
  assert.deepEqual(loadKeyFile(good).map((k) => k.name), ["k2", "k1"]);
  const bad = join(dir, "bad");
  await writeFile(bad, `k:${Buffer.alloc(16).toString("base64")}\n`);
  assert.throws(() => loadKeyFile(bad), /16 bytes; AES-256-GCM needs 32/);
});
