// ECDSA P-256 keys over Node's WebCrypto: generation, PKCS#8 / SPKI PEM export and import.
import { webcrypto } from "node:crypto";
import { x509 } from "./x509.js";

export type CryptoKey = webcrypto.CryptoKey;
export type CryptoKeyPair = webcrypto.CryptoKeyPair;

/** The key algorithm of every key in the PKI; grpc-js, Node TLS, etcd and nats-server accept it. */
export const keyAlgorithm = { name: "ECDSA", namedCurve: "P-256" } as const;
/** The signature algorithm used with it. */
export const signingAlgorithm = { name: "ECDSA", hash: "SHA-256" } as const;

export async function generateKeyPair(): Promise<CryptoKeyPair> {
  return await webcrypto.subtle.generateKey(keyAlgorithm, true, ["sign", "verify"]);
}

/** PKCS#8 PEM ("BEGIN PRIVATE KEY") of a private key. */
export async function privateKeyPem(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey("pkcs8", key);
  return x509.PemConverter.encode(der, "PRIVATE KEY") + "\n";
}

/** SubjectPublicKeyInfo PEM ("BEGIN PUBLIC KEY") of a public key. */
export async function publicKeyPem(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey("spki", key);
  return x509.PemConverter.encode(der, "PUBLIC KEY") + "\n";
}

/** Imports a PKCS#8 PEM EC P-256 private key for signing. */
export async function importSigningKey(pem: string): Promise<CryptoKey> {
  const der = x509.PemConverter.decodeFirst(pem);
  return await webcrypto.subtle.importKey("pkcs8", der, keyAlgorithm, false, ["sign"]);
}
