// Named errors of the kubelet's TLS bootstrap.

/** The CA file's public key does not have the pinned hash (caCertHash): the kubelet refuses to trust it. */
export class CaHashMismatchError extends Error {
  override readonly name = "CaHashMismatchError";
  readonly code = "CaHashMismatch";
  constructor(
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`the cluster CA's public key hash is ${actual}, not the pinned ${expected}: refusing to trust it`);
  }
}

/** A certificate request was Denied or Failed, or the kubelet cannot bootstrap at all (no token, no certificate). */
export class TlsBootstrapError extends Error {
  override readonly name = "TlsBootstrapError";
  readonly code = "TlsBootstrap";
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}
