// Unit tests of ServiceAccount token signing and checking: only ES256 by our keys, issuer, audience, time window, subject.
import assert from "node:assert/strict";
import { createHmac, generateKeyPairSync } from "node:crypto";
import { test } from "node:test";
import { keyId, signJws, signingKeyFromPem, verifyingKeyFromPem } from "./service-account-jwt.js";
import { InvalidServiceAccountTokenError, ServiceAccountTokenIssuer, verifyServiceAccountToken } from "./service-account-token.js";

const ISS = "https://kubernetes.default.svc.cluster.local";
const pair = generateKeyPairSync("ec", { namedCurve: "P-256" });
const signing = signingKeyFromPem(pair.privateKey.export({ type: "pkcs8", format: "pem" }));
const keys = [verifyingKeyFromPem(pair.publicKey.export({ type: "spki", format: "pem" }))];
const NOW = 1_800_000_000;
const spec = { namespace: "ns", serviceAccount: { name: "sa", uid: "u-sa" }, pod: { name: "p", uid: "u-p" }, audiences: ["api"], expirationSeconds: 3600 };
const issuer = new ServiceAccountTokenIssuer(signing, ISS, () => NOW * 1000);
const check = (token: string, audiences = ["api"], nowSeconds = NOW + 10): ReturnType<typeof verifyServiceAccountToken> =>
  verifyServiceAccountToken(token, { keys, issuer: ISS, audiences, nowSeconds });
const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString("base64url");
const refusedBecause = (re: RegExp) => (err: unknown) => err instanceof InvalidServiceAccountTokenError && re.test(err.message);

test("an issued token carries Kubernetes' bound-token claims and a kid of the key, and verifies", () => {
  const { token, expiresAt } = issuer.issue(spec, "jti-1");
  const [h] = token.split(".") as [string];
  assert.deepEqual(JSON.parse(Buffer.from(h, "base64url").toString()), { alg: "ES256", kid: keyId(keys[0]!) });
  assert.equal(expiresAt, NOW + 3600);
  const claims = check(token);
  assert.deepEqual(claims, {
    aud: ["api"],
    exp: NOW + 3600,
    iat: NOW,
    iss: ISS,
    jti: "jti-1",
    "kubernetes.io": { namespace: "ns", pod: { name: "p", uid: "u-p" }, serviceaccount: { name: "sa", uid: "u-sa" } },
    nbf: NOW,
    sub: "system:serviceaccount:ns:sa",
  });
});

test("alg none, HS256 keyed with the public key, and another key's signature are refused", () => {
  const { token } = issuer.issue(spec, "j");
  const [, p] = token.split(".") as [string, string];
  assert.throws(() => check(`${b64({ alg: "none" })}.${p}.`), refusedBecause(/not a compact JWS|unsupported|invalid signature/));
  const hsInput = `${b64({ alg: "HS256" })}.${p}`;
  const hs = createHmac("sha256", pair.publicKey.export({ type: "spki", format: "pem" })).update(hsInput).digest("base64url");
  assert.throws(() => check(`${hsInput}.${hs}`), refusedBecause(/unsupported signing algorithm "HS256"/));
  const other = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const forged = new ServiceAccountTokenIssuer(signingKeyFromPem(other.privateKey.export({ type: "pkcs8", format: "pem" })), ISS, () => NOW * 1000).issue(spec, "j");
  assert.throws(() => check(forged.token), refusedBecause(/invalid signature/));
});

test("issuer, audience, time window (60 s leeway) and subject are checked", () => {
  const { token } = issuer.issue(spec, "j");
  assert.throws(() => check(token, ["other"]), refusedBecause(/audiences/));
  assert.doesNotThrow(() => check(token, ["api"], NOW + 3600 + 59));
  assert.throws(() => check(token, ["api"], NOW + 3600 + 61), refusedBecause(/expired/));
  assert.throws(() => check(token, ["api"], NOW - 120), refusedBecause(/not valid yet/));
  const foreign = new ServiceAccountTokenIssuer(signing, "https://other.example", () => NOW * 1000).issue(spec, "j");
  assert.throws(() => check(foreign.token), refusedBecause(/issuer/));
  const liar = signJws({ iss: ISS, aud: ["api"], exp: NOW + 600, iat: NOW, nbf: NOW, sub: "system:serviceaccount:kube-system:admin", "kubernetes.io": { namespace: "ns", serviceaccount: { name: "sa", uid: "u" } } }, signing);
  assert.throws(() => check(liar), refusedBecause(/subject/));
});

test("only EC P-256 keys are accepted", () => {
  const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
  assert.throws(() => signingKeyFromPem(rsa.privateKey.export({ type: "pkcs8", format: "pem" })), /P-256/);
  assert.throws(() => verifyingKeyFromPem(rsa.publicKey.export({ type: "spki", format: "pem" })), /P-256/);
});
