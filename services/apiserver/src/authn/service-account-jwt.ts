// Compact JWS (RFC 7515) with ES256 over node:crypto: the signature format of ServiceAccount tokens.
//
// No JWT library is installed (`jose` is not a dependency); ES256 is a few lines of node:crypto, and
// keeping to one algorithm closes the `alg` confusion attacks a general verifier must guard against.
import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from "node:crypto";

/** The JOSE header of our tokens. */
interface JwsHeader {
  alg: string;
  kid?: string;
  typ?: string;
}

/** A token that is not a well-formed ES256 JWS signed by one of the keys (the message says why). */
export class InvalidJwsError extends Error {
  override readonly name = "InvalidJwsError";
  readonly code = "InvalidJws";
}

const b64url = (data: Buffer | string): string => Buffer.from(data).toString("base64url");

/** The key id Kubernetes puts in `kid`: base64url of the SHA-256 of the public key's DER (SPKI). */
export function keyId(publicKey: KeyObject): string {
  return b64url(createHash("sha256").update(publicKey.export({ type: "spki", format: "der" })).digest());
}

/** An ES256 signing key (PEM, PKCS#8 or SEC1 EC P-256) with its key id. */
export interface JwsSigningKey {
  privateKey: KeyObject;
  kid: string;
}

/** Reads a P-256 private key; throws InvalidJwsError for any other key type. */
export function signingKeyFromPem(pem: string | Buffer): JwsSigningKey {
  const privateKey = createPrivateKey(pem);
  if (privateKey.asymmetricKeyType !== "ec" || privateKey.asymmetricKeyDetails?.namedCurve !== "prime256v1") {
    throw new InvalidJwsError("the ServiceAccount signing key must be an EC P-256 key (ES256)");
  }
  return { privateKey, kid: keyId(createPublicKey(privateKey)) };
}

/** Reads P-256 public keys (PEM SPKI, or a private key whose public half is used). */
export function verifyingKeyFromPem(pem: string | Buffer): KeyObject {
  const text = Buffer.from(pem).toString("utf8");
  const key = text.includes("PRIVATE KEY") ? createPublicKey(createPrivateKey(text)) : createPublicKey(text);
  if (key.asymmetricKeyType !== "ec" || key.asymmetricKeyDetails?.namedCurve !== "prime256v1") {
    throw new InvalidJwsError("ServiceAccount verification keys must be EC P-256 keys (ES256)");
  }
  return key;
}

/** `header.payload.signature` for the claims, signed ES256 (the signature is JOSE's raw r||s). */
export function signJws(claims: object, key: JwsSigningKey): string {
  const header: JwsHeader = { alg: "ES256", kid: key.kid };
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  const signature = sign("sha256", Buffer.from(input), { key: key.privateKey, dsaEncoding: "ieee-p1363" });
  return `${input}.${b64url(signature)}`;
}

/** Whether a bearer token looks like a JWS at all (three base64url parts), so other token kinds pass by. */
export function looksLikeJws(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token);
}

/**
 * The payload of a compact JWS whose ES256 signature one of `keys` verifies. Throws InvalidJwsError
 * for a malformed token, another algorithm, or a signature no key verifies. Claims are not checked.
 */
export function verifyJws(token: string, keys: readonly KeyObject[]): Record<string, unknown> {
  const parts = token.split(".");
  if (parts.length !== 3) throw new InvalidJwsError("not a compact JWS");
  const [h, p, s] = parts as [string, string, string];
  let header: JwsHeader;
  let payload: unknown;
  try {
    header = JSON.parse(Buffer.from(h, "base64url").toString("utf8")) as JwsHeader;
    payload = JSON.parse(Buffer.from(p, "base64url").toString("utf8"));
  } catch (err) {
    throw new InvalidJwsError("the token's header or payload is not base64url JSON", { cause: err });
  }
  if (header.alg !== "ES256") throw new InvalidJwsError(`unsupported signing algorithm ${JSON.stringify(header.alg)}`);
  const signature = Buffer.from(s, "base64url");
  const input = Buffer.from(`${h}.${p}`);
  const ok = keys.some((key) => signature.length === 64 && verify("sha256", input, { key, dsaEncoding: "ieee-p1363" }, signature));
  if (!ok) throw new InvalidJwsError("invalid signature");
  if (!payload || typeof payload !== "object" || Array.isArray(payload)) throw new InvalidJwsError("the payload is not a JSON object");
  return payload as Record<string, unknown>;
}
