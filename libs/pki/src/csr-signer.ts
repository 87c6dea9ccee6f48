// A CA pair loaded from two files that signs CSRs (the controller-manager's --cluster-signing-cert-file/--cluster-signing-key-file).
import { createHash, X509Certificate as NodeX509Certificate } from "node:crypto";
import { readFile } from "node:fs/promises";
import { x509 } from "./x509.js";
import { importSigningKey } from "./keys.js";
import { backdateMs, signLeafCertificate, type SigningCa } from "./certificate-builder.js";
import { verifyCsr } from "./csr.js";
import { PkiNotInitializedError } from "./errors.js";
import type { Usage } from "./types.js";

/**
 * Signs verified CSRs with one CA. Holds the CA key in memory; `sign` may run concurrently. The
 * subject and SANs are the request's own (the caller decided, by approving it, that they may be).
 */
export class CsrSigner {
  private constructor(
    private readonly ca: SigningCa,
    /** The CA certificate, PEM. */
    readonly caPem: string,
  ) {}

  /** Loads a CA certificate and its key; throws PkiNotInitializedError when either is unreadable. */
  static async load(certFile: string, keyFile: string): Promise<CsrSigner> {
    let certPem: string;
    let keyPem: string;
    try {
      [certPem, keyPem] = await Promise.all([readFile(certFile, "utf8"), readFile(keyFile, "utf8")]);
    } catch (error) {
      throw new PkiNotInitializedError(certFile, `cannot read the signing CA ${certFile} and ${keyFile}`, { cause: error });
    }
    return new CsrSigner({ cert: new x509.X509Certificate(certPem), key: await importSigningKey(keyPem) }, certPem);
  }

  /** When the CA itself expires: no certificate it signs outlives it. */
  get notAfter(): Date {
    return this.ca.cert.notAfter;
  }

  /** Signs `csrPem` for `lifetimeSeconds` (capped at the CA's own expiry); throws InvalidCsrError for an unsound request. */
  async sign(csrPem: string, opts: { usages: Usage[]; lifetimeSeconds: number }): Promise<string> {
    const csr = await verifyCsr(csrPem);
    // Backdated for clock skew, but never by more than half the lifetime, so a short-lived
    // certificate's rotation deadline (a fraction of notAfter - notBefore) still lies ahead.
    const lifetimeMs = opts.lifetimeSeconds * 1000;
    const cert = await signLeafCertificate(this.ca, csr.publicKey, csr.subject, [...new Set(opts.usages)], lifetimeMs, Math.min(backdateMs, lifetimeMs / 2));
    return cert.toString("pem") + "\n";
  }
}

/** "sha256:<hex>" of a certificate's SubjectPublicKeyInfo DER: kubeadm's CA hash, to compare with `--discovery-token-ca-cert-hash`. */
export function publicKeyHash(certPem: string | Buffer): string {
  const spki = new NodeX509Certificate(certPem).publicKey.export({ type: "spki", format: "der" });
  return `sha256:${createHash("sha256").update(spki).digest("hex")}`;
}
