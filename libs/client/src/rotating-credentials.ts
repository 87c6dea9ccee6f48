// gRPC channel credentials whose client certificate is re-read from its files: a rotated certificate is used by the next connection.
import { experimental, type ChannelCredentials } from "@grpc/grpc-js";

/** The PEM files a rotating client presents and trusts (certFile and keyFile may be one combined file). */
export interface RotatingCredentialsFiles {
  caFile: string;
  certFile: string;
  keyFile: string;
  /** How often the files are re-read; default 10 s. */
  refreshMs?: number;
}

/**
 * TLS credentials that watch the files: when a certificate rotation replaced them (written whole,
 * then renamed), every connection made afterwards (a reconnect, a new subchannel) presents the
 * new certificate; open connections keep the one they were authenticated with.
 */
export function rotatingChannelCredentials(files: RotatingCredentialsFiles): ChannelCredentials {
  const refreshIntervalMs = files.refreshMs ?? 10_000;
  const ca = new experimental.FileWatcherCertificateProvider({ caCertificateFile: files.caFile, refreshIntervalMs });
  const identity = new experimental.FileWatcherCertificateProvider({ certificateFile: files.certFile, privateKeyFile: files.keyFile, refreshIntervalMs });
  return experimental.createCertificateProviderChannelCredentials(ca, identity);
}
