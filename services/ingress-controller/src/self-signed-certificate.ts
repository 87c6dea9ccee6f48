// Generates a self-signed certificate with openssl: the fallback served when no Ingress TLS Secret matches.
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { CertificateGenerationError } from "./errors.js";

const run = promisify(execFile);

/** ingress-nginx's fallback certificate's subject, so clients and operators recognise it. */
export const FALLBACK_COMMON_NAME = "Kubernetes Ingress Controller Fake Certificate";

/** A PEM certificate and its private key. */
export interface PemKeyPair {
  cert: string;
  key: string;
}

/**
 * A new P-256 key and a self-signed certificate for `commonName` (also its DNS SAN when it is a
 * host name), valid for `days`. Throws CertificateGenerationError when openssl fails.
 */
export async function selfSignedCertificate(commonName: string, days = 365): Promise<PemKeyPair> {
  const dir = await mkdtemp(join(tmpdir(), "kp-ingress-cert-"));
  try {
    const [keyFile, certFile] = [join(dir, "tls.key"), join(dir, "tls.crt")];
    const args = ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", String(days)];
    args.push("-subj", `/CN=${commonName}`, "-keyout", keyFile, "-out", certFile);
    if (/^[a-z0-9*][a-z0-9.-]*$/i.test(commonName)) args.push("-addext", `subjectAltName=DNS:${commonName}`);
    await run("openssl", args, { timeout: 20_000 });
    return { cert: await readFile(certFile, "utf8"), key: await readFile(keyFile, "utf8") };
  } catch (err) {
    throw new CertificateGenerationError(`openssl could not make a certificate for ${commonName}: ${(err as Error).message}`, { cause: err });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
