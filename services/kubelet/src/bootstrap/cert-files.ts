// The kubelet's certificate files: one PEM holding certificate and key, written whole (temp file, rename), 0600.
import { X509Certificate } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";

/** Kubernetes' file names under --cert-dir. */
export const CLIENT_CERT_FILE = "kubelet-client-current.pem";
export const SERVING_CERT_FILE = "kubelet-server-current.pem";

/** The facts of a stored certificate the kubelet decides on. */
export interface StoredCertificate {
  certificate: X509Certificate;
  notBefore: Date;
  notAfter: Date;
}

/** The certificate in `path`, or undefined when the file is missing or holds none. */
export async function readStoredCertificate(path: string): Promise<StoredCertificate | undefined> {
  let pem: string;
  try {
    pem = await readFile(path, "utf8");
  } catch {
    return undefined;
  }
  try {
    const certificate = new X509Certificate(pem);
    return { certificate, notBefore: new Date(certificate.validFrom), notAfter: new Date(certificate.validTo) };
  } catch {
    return undefined;
  }
}

/**
 * Writes certificate and key into `path` so no reader ever sees half of it or a certificate
 * beside another's key: both go to a temp file (0600), which is renamed over the old one.
 */
export async function writeStoredCertificate(path: string, certPem: string, keyPem: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, `${certPem.trimEnd()}\n${keyPem.trimEnd()}\n`, { mode: 0o600 });
  await rename(tmp, path);
}
