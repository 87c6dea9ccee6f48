// TLS material for the gRPC and HTTP listeners and for gRPC clients.
import { readFileSync } from "node:fs";
import { ChannelCredentials, ServerCredentials } from "@grpc/grpc-js";
import { ServiceStartError } from "./errors.js";

/** Paths of PEM files; TLS is on when certFile and keyFile are set, mutual when clientCaFile is. */
export interface TlsFiles {
  certFile?: string | undefined;
  keyFile?: string | undefined;
  clientCaFile?: string | undefined;
}

export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
  ca?: Buffer;
}

function read(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ServiceStartError(`cannot read TLS ${what} ${path}: ${(err as Error).message}`, { cause: err });
  }
}

/** Loads the server's TLS material, or undefined for plaintext. Throws ServiceStartError. */
export function loadTls(files: TlsFiles): TlsMaterial | undefined {
  if (!files.certFile && !files.keyFile) return undefined;
  if (!files.certFile || !files.keyFile) throw new ServiceStartError("TLS needs both tlsCertFile and tlsKeyFile");
  const material: TlsMaterial = { cert: read(files.certFile, "certificate"), key: read(files.keyFile, "key") };
  if (files.clientCaFile) material.ca = read(files.clientCaFile, "client CA");
  return material;
}

/** gRPC server credentials for the material (insecure when undefined). */
export function serverCredentials(tls: TlsMaterial | undefined): ServerCredentials {
  if (!tls) return ServerCredentials.createInsecure();
  return ServerCredentials.createSsl(tls.ca ?? null, [{ cert_chain: tls.cert, private_key: tls.key }], Boolean(tls.ca));
}

/** gRPC client credentials: plaintext without a CA, else TLS verifying the server (and presenting a client cert if given). */
export function channelCredentials(files: { caFile?: string; certFile?: string; keyFile?: string } = {}): ChannelCredentials {
  if (!files.caFile) return ChannelCredentials.createInsecure();
  return ChannelCredentials.createSsl(
    read(files.caFile, "CA"),
    files.keyFile ? read(files.keyFile, "client key") : null,
    files.certFile ? read(files.certFile, "client certificate") : null,
  );
}
