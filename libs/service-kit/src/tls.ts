// TLS material for the gRPC and HTTP listeners and for gRPC clients: mutual TLS by default.
import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { TLSSocket, type PeerCertificate } from "node:tls";
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
  /** When the serving certificate expires. */
  notAfter: Date;
}

/**
 * How a server treats client certificates. `require`: the handshake fails without one signed by
 * the client CA (every component but the apiserver). `request`: one is asked for and verified,
 * but a caller may come without (the apiserver, which also takes bearer tokens); the verified
 * identity is read per call with `peerIdentity`.
 */
export type ClientAuth = "require" | "request";

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
  const cert = read(files.certFile, "certificate");
  let notAfter: Date;
  try {
    notAfter = new Date(new X509Certificate(cert).validTo);
  } catch (err) {
    throw new ServiceStartError(`TLS certificate ${files.certFile} is not a PEM certificate: ${(err as Error).message}`, { cause: err });
  }
  const material: TlsMaterial = { cert, key: read(files.keyFile, "key"), notAfter };
  if (files.clientCaFile) material.ca = read(files.clientCaFile, "client CA");
  return material;
}

/**
 * Server credentials with a client CA whose certificate and key can be replaced while serving
 * (a kubelet's rotated serving certificate): new handshakes use the new pair, open connections
 * keep theirs. `require` fails a handshake without a client certificate; `request` verifies one
 * when given but lets callers without one in.
 */
export class ReloadableServerCredentials extends ServerCredentials {
  constructor(
    tls: TlsMaterial & { ca: Buffer },
    private readonly clientAuth: ClientAuth,
  ) {
    super({ requestCert: true, rejectUnauthorized: clientAuth === "require" }, { ca: tls.ca, cert: tls.cert, key: tls.key });
  }

  /** Serves `tls`'s certificate and key (and client CA) from the next handshake on. */
  reload(tls: TlsMaterial & { ca: Buffer }): void {
    this.updateSecureContextOptions({ ca: tls.ca, cert: tls.cert, key: tls.key });
  }

  override _equals(other: ServerCredentials): boolean {
    return other === this;
  }
}

/** gRPC server credentials for the material (insecure when undefined). */
export function serverCredentials(tls: TlsMaterial | undefined, clientAuth: ClientAuth = "require"): ServerCredentials {
  if (!tls) return ServerCredentials.createInsecure();
  if (!tls.ca) return ServerCredentials.createSsl(null, [{ cert_chain: tls.cert, private_key: tls.key }], false);
  return new ReloadableServerCredentials({ ...tls, ca: tls.ca }, clientAuth);
}

/** The subject of a verified client certificate: Kubernetes reads the user from CN and groups from O. */
export interface PeerIdentity {
  commonName: string;
  organizations: string[];
}

function subjectField(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** The verified client certificate's subject of a gRPC call, or undefined (no certificate, or one the CA did not sign). */
export function peerIdentity(call: { getAuthContext(): { sslPeerCertificate?: PeerCertificate } | null }): PeerIdentity | undefined {
  // getAuthContext() turns the whole peer certificate into a JS object on every call (~15 % of an empty call's CPU);
  // a TLS 1.3 connection's peer cannot change (no renegotiation), so its identity is read once per connection.
  const socket = callSocket(call);
  if (socket) {
    const known = connectionIdentities.get(socket);
    if (known !== undefined) return known ?? undefined;
  }
  const cert = call.getAuthContext()?.sslPeerCertificate;
  const identity = identityOf(cert);
  if (socket && socket.authorized && socket.getProtocol() === "TLSv1.3") connectionIdentities.set(socket, identity ?? null);
  return identity;
}

function identityOf(cert: PeerCertificate | undefined): PeerIdentity | undefined {
  if (!cert?.subject) return undefined;
  const commonName = subjectField(cert.subject.CN)[0];
  if (!commonName) return undefined;
  return { commonName, organizations: subjectField(cert.subject.O) };
}

/** The verified peer's identity per TLS 1.3 connection (null: a verified connection without a usable subject). */
const connectionIdentities = new WeakMap<TLSSocket, PeerIdentity | null>();

/**
 * The TLS socket a grpc-js server call arrived on, found through grpc-js's own call objects (1.x: the call's
 * `call`, its chain of `nextCall`s, the base call's http2 `stream.session.socket`); undefined when that shape is
 * not there (another grpc-js, a plaintext listener, a test double), and then `peerIdentity` reads the auth context.
 */
function callSocket(call: object): TLSSocket | undefined {
  let c = (call as { call?: unknown }).call;
  for (let depth = 0; depth < 16 && typeof c === "object" && c !== null; depth++) {
    const socket = (c as { stream?: { session?: { socket?: unknown } } }).stream?.session?.socket;
    if (socket instanceof TLSSocket) return socket;
    c = (c as { nextCall?: unknown }).nextCall;
  }
  return undefined;
}

/** The verified client certificate's subject of a TLS socket (HTTP listeners), or undefined. */
export function socketPeerIdentity(socket: TLSSocket): PeerIdentity | undefined {
  if (!socket.authorized) return undefined;
  const cert = socket.getPeerCertificate();
  const commonName = subjectField(cert?.subject?.CN)[0];
  if (!commonName) return undefined;
  return { commonName, organizations: subjectField(cert.subject.O) };
}

/** PEM files a client presents and trusts. */
export interface ClientTlsFiles {
  caFile?: string | undefined;
  certFile?: string | undefined;
  keyFile?: string | undefined;
}

/** gRPC client credentials: plaintext without a CA, else TLS verifying the server (and presenting a client cert if given). */
export function channelCredentials(files: ClientTlsFiles = {}): ChannelCredentials {
  if (!files.caFile) return ChannelCredentials.createInsecure();
  return ChannelCredentials.createSsl(
    read(files.caFile, "CA"),
    files.keyFile ? read(files.keyFile, "client key") : null,
    files.certFile ? read(files.certFile, "client certificate") : null,
  );
}
