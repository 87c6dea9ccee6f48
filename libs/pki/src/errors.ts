// Named errors of @kubeplane/pki, each with a stable `code` and the `cause` it wraps.

/**
 * Thrown by `loadPki` (and by `initPki` when only half of a CA pair exists) when the directory
 * does not hold a usable cluster PKI. The operator runs `kpctl pki init` first.
 */
export class PkiNotInitializedError extends Error {
  override readonly name = "PkiNotInitializedError";
  readonly code = "PkiNotInitialized";
  /** The PKI directory. */
  readonly dir: string;
  constructor(dir: string, detail: string, options?: ErrorOptions) {
    super(`no usable PKI in ${dir}: ${detail}`, options);
    this.dir = dir;
  }
}

/** Thrown by `Pki.renew` and friends when no certificate of that name exists in the directory. */
export class CertificateNotFoundError extends Error {
  override readonly name = "CertificateNotFoundError";
  readonly code = "CertificateNotFound";
  /** The certificate's name (file name without `.crt`). */
  readonly certName: string;
  constructor(certName: string, options?: ErrorOptions) {
    super(`no certificate named "${certName}"`, options);
    this.certName = certName;
  }
}

/**
 * Thrown by `Pki.issue` / `Pki.renew` when a spec cannot be issued as asked: a name that is not a
 * plain file name or that belongs to a CA or the ServiceAccount key, no usages, a bad IP address,
 * a non-positive validity.
 */
export class InvalidCertSpecError extends Error {
  override readonly name = "InvalidCertSpecError";
  readonly code = "InvalidCertSpec";
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/**
 * Thrown by `Pki.signCsr` when the request cannot be signed: not a PEM CSR, its self-signature
 * does not verify (tampered or corrupted), or it carries no common name.
 */
export class InvalidCsrError extends Error {
  override readonly name = "InvalidCsrError";
  readonly code = "InvalidCsr";
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** Thrown when another process holds the PKI directory's lock for longer than the wait allows. */
export class PkiLockTimeoutError extends Error {
  override readonly name = "PkiLockTimeoutError";
  readonly code = "PkiLockTimeout";
  constructor(lockFile: string, options?: ErrorOptions) {
    super(`timed out waiting for the PKI lock ${lockFile}`, options);
  }
}

export function isCertificateNotFound(error: unknown): error is CertificateNotFoundError {
  return error instanceof CertificateNotFoundError;
}

export function isInvalidCsr(error: unknown): error is InvalidCsrError {
  return error instanceof InvalidCsrError;
}
