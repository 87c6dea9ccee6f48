// The ingress controller's named errors.

/** Connecting to an endpoint took longer than `upstreamConnectTimeout`; the next endpoint is tried. */
export class UpstreamConnectTimeoutError extends Error {
  override readonly name = "UpstreamConnectTimeoutError";
  readonly code = "UpstreamConnectTimeout";
  constructor(readonly upstream: string, timeoutMs: number) {
    super(`connecting to ${upstream} took longer than ${timeoutMs} ms`);
  }
}

/** The self-signed fallback certificate could not be generated (openssl missing or failing). */
export class CertificateGenerationError extends Error {
  override readonly name = "CertificateGenerationError";
  readonly code = "CertificateGeneration";
}

/** Whether `err` means the endpoint never accepted the connection, so another may be tried safely. */
export function isConnectFailure(err: unknown): boolean {
  if (err instanceof UpstreamConnectTimeoutError) return true;
  const code = (err as { code?: unknown }).code;
  return code === "ECONNREFUSED" || code === "EHOSTUNREACH" || code === "ENETUNREACH" || code === "EADDRNOTAVAIL";
}

/** `nginx -t` refused a rendered configuration; the previous one stays in service. */
export class NginxConfigError extends Error {
  override readonly name = "NginxConfigError";
  readonly code = "NginxConfig";
}

/** nginx could not be started (binary missing, a listener taken, the configuration refused). */
export class NginxStartError extends Error {
  override readonly name = "NginxStartError";
  readonly code = "NginxStart";
}
