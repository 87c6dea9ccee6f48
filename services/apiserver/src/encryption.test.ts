// Unit tests of encryption at rest: the envelope, the etcd key bound as AAD, stale values, rotation, tampering, plaintext reads.
import assert from "node:assert/strict";
import { createCipheriv, randomBytes } from "node:crypto";
import { test } from "node:test";
import { kindFor } from "@kubeplane/api";
import { EncryptionError, identityTransformer, newValueTransformer, type NamedKey, type Provider } from "./encryption.js";

const secrets = kindFor("v1", "Secret")!;
const configMaps = kindFor("v1", "ConfigMap")!;
const deployments = kindFor("apps/v1", "Deployment")!;
const key = (name: string, byte: number): NamedKey => ({ name, key: Buffer.alloc(32, byte) });
const aesgcm = (...keys: NamedKey[]): Provider => ({ type: "aesgcm", keys });
const identity: Provider = { type: "identity" };
const secretsWith = (...providers: Provider[]) => newValueTransformer([{ resources: ["secrets"], providers }]);
const at = "/registry/core/secrets/default/db";
const text = (b: Uint8Array): string => Buffer.from(b).toString();

test("a Secret is sealed in the k8s:enc:aesgcm:v1 envelope with its key's name and reads back; other kinds pass through", () => {
  const t = secretsWith(aesgcm(key("k1", 1)), identity);
  const plain = Buffer.from("password=hunter2");
  const sealed = Buffer.from(t.toStorage(secrets, at, plain));
  assert.ok(sealed.toString("latin1").startsWith("k8s:enc:aesgcm:v1:k1:"));
  assert.ok(!sealed.includes(plain), "the plaintext is not in etcd");
  assert.deepEqual(t.fromStorage(secrets, at, sealed), { plain: plain, stale: false });
  assert.notDeepEqual(Buffer.from(t.toStorage(secrets, at, plain)), sealed, "a fresh nonce per write");
  assert.equal(t.toStorage(configMaps, "/registry/core/configmaps/default/db", plain), plain);
  assert.ok(t.covers(secrets) && !t.covers(configMaps));
});

test("the etcd key is bound: a value copied to another key does not decrypt, with a message naming both", () => {
  const t = secretsWith(aesgcm(key("k1", 1)));
  const sealed = t.toStorage(secrets, at, Buffer.from("x"));
  assert.throws(
    () => t.fromStorage(secrets, "/registry/core/secrets/default/other", sealed),
    (err: unknown) =>
      err instanceof EncryptionError &&
      err.key === "/registry/core/secrets/default/other" &&
      /does not decrypt with key "k1": it was encrypted for another etcd key \(copied or moved there\) or it was altered/.test(err.message),
  );
  assert.equal(text(t.fromStorage(secrets, at, sealed).plain), "x", "the original still reads");
});

test("values sealed before the key was bound (no AAD) still read, and are stale", () => {
  const k = key("k1", 1);
  const nonce = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", k.key, nonce);
  const body = Buffer.concat([cipher.update("old"), cipher.final()]);
  const legacy = Buffer.concat([Buffer.from("k8s:enc:aesgcm:v1:k1:"), nonce, body, cipher.getAuthTag()]);
  assert.deepEqual(secretsWith(aesgcm(k)).fromStorage(secrets, at, legacy), { plain: Buffer.from("old"), stale: true });
});

test("rotation: the first key writes; a value of a later key reads and is stale; an unknown key and tampering fail", () => {
  const old = secretsWith(aesgcm(key("old", 1)));
  const rotated = secretsWith(aesgcm(key("new", 2), key("old", 1)));
  const sealedOld = old.toStorage(secrets, at, Buffer.from("x"));
  assert.deepEqual(rotated.fromStorage(secrets, at, sealedOld), { plain: Buffer.from("x"), stale: true });
  const sealedNew = rotated.toStorage(secrets, at, Buffer.from("y"));
  assert.ok(Buffer.from(sealedNew).toString("latin1").startsWith("k8s:enc:aesgcm:v1:new:"));
  assert.equal(rotated.fromStorage(secrets, at, sealedNew).stale, false);
  const onlyNew = secretsWith(aesgcm(key("new", 2)));
  assert.throws(() => onlyNew.fromStorage(secrets, at, sealedOld), /encrypted with key "old", which is not in this apiserver's encryption configuration/);
  const tampered = Buffer.from(sealedOld);
  tampered[tampered.length - 20]! ^= 1;
  assert.throws(() => old.fromStorage(secrets, at, tampered), /does not decrypt/);
});

test("plaintext reads only where identity is a provider, and is stale when aesgcm writes; identity first decrypts", () => {
  assert.deepEqual(secretsWith(aesgcm(key("k1", 1)), identity).fromStorage(secrets, at, Buffer.from("plain")), { plain: Buffer.from("plain"), stale: true });
  assert.throws(() => secretsWith(aesgcm(key("k1", 1))).fromStorage(secrets, at, Buffer.from("plain")), /is not encrypted, and identity is not among the providers/);
  const decrypting = secretsWith(identity, aesgcm(key("k1", 1)));
  const sealed = secretsWith(aesgcm(key("k1", 1))).toStorage(secrets, at, Buffer.from("z"));
  assert.deepEqual(decrypting.fromStorage(secrets, at, sealed), { plain: Buffer.from("z"), stale: true });
  assert.equal(text(decrypting.toStorage(secrets, at, Buffer.from("z"))), "z");
  assert.equal(decrypting.fromStorage(secrets, at, Buffer.from("z")).stale, false);
});

test("identity (the opt-out) refuses an encrypted value rather than misreading it", () => {
  const sealed = secretsWith(aesgcm(key("k1", 1))).toStorage(secrets, at, Buffer.from("z"));
  assert.throws(() => identityTransformer.fromStorage(secrets, at, sealed), /is encrypted, but this apiserver's encryption configuration does not cover secrets/);
});

test("resource rules match RESOURCE.GROUP and wildcards; the first matching rule applies", () => {
  const t = newValueTransformer([
    { resources: ["secrets"], providers: [aesgcm(key("s", 1))] },
    { resources: ["*.apps"], providers: [aesgcm(key("apps", 2))] },
    { resources: ["*.*"], providers: [identity] },
  ]);
  assert.match(Buffer.from(t.toStorage(deployments, "/registry/apps/deployments/default/d", Buffer.from("d"))).toString("latin1"), /^k8s:enc:aesgcm:v1:apps:/);
  assert.equal(text(t.toStorage(configMaps, "/registry/core/configmaps/default/c", Buffer.from("c"))), "c");
});

test("every transformation is observed with its envelope prefix and outcome", () => {
  const seen: string[] = [];
  const t = newValueTransformer([{ resources: ["secrets"], providers: [aesgcm(key("k1", 1))] }], (type, prefix, status) => seen.push(`${type} ${prefix} ${status}`));
  const sealed = t.toStorage(secrets, at, Buffer.from("x"));
  t.fromStorage(secrets, at, sealed);
  assert.throws(() => t.fromStorage(secrets, `${at}2`, sealed));
  assert.deepEqual(seen, ["to_storage k8s:enc:aesgcm:v1:k1: OK", "from_storage k8s:enc:aesgcm:v1:k1: OK", "from_storage k8s:enc:aesgcm:v1:k1: Unknown"]);
});
