// The Kubernetes REST API served by the apiserver process (docs/rest-api.md): what index.ts starts.
import type { Logger } from "@kubeplane/service-kit";
import { loadTls } from "@kubeplane/service-kit";
import type { Authenticator } from "../authn/index.js";
import type { Auditor } from "../audit/index.js";
import type { RestDeps } from "./context.js";
import type { GrpcHandlers } from "./handler-bridge.js";
import { startRestServer, type RestServer } from "./server.js";

export type { RestServer } from "./server.js";
export type { GrpcHandlers } from "./handler-bridge.js";

/** What the REST listener needs from the apiserver's configuration. */
export interface RestApiConfig {
  /** host:port of the HTTPS listener; "" disables it. */
  restListen: string;
  tlsCertFile?: string | undefined;
  tlsKeyFile?: string | undefined;
  tlsClientCaFile?: string | undefined;
}

/**
 * Starts the REST listener with the apiserver's serving certificate, verifying client certificates
 * against the client CA. Returns undefined when disabled (restListen "") or when the apiserver
 * serves without TLS (insecureServing: the REST API is never served in plaintext). `deps.handlers`
 * is the gRPC handler map (typed loosely by grpc-js's wrappers): the REST verbs call its methods.
 */
export async function startRestApi(
  config: RestApiConfig,
  parts: { deps: Omit<RestDeps, "handlers"> & { handlers: object }; authenticator: Authenticator; auditor?: Auditor | undefined; kubeplaneVersion: string; ready(): Promise<boolean>; logger: Logger },
): Promise<RestServer | undefined> {
  if (!config.restListen) return undefined;
  const tls = loadTls({ certFile: config.tlsCertFile, keyFile: config.tlsKeyFile, clientCaFile: config.tlsClientCaFile });
  if (!tls?.ca) {
    parts.logger.warn("the REST API needs tlsCertFile, tlsKeyFile and tlsClientCaFile; not serving it");
    return undefined;
  }
  return startRestServer({ listen: config.restListen, tls: { cert: tls.cert, key: tls.key, ca: tls.ca }, authenticator: parts.authenticator, auditor: parts.auditor, deps: { ...parts.deps, handlers: parts.deps.handlers as GrpcHandlers }, kubeplaneVersion: parts.kubeplaneVersion, ready: parts.ready });
}
