// Connects a component to the cluster: the apiserver's gRPC client and NATS for the watches, both over mutual TLS.
import type { ChannelCredentials } from "@grpc/grpc-js";
import { connect as connectNats, type ConnectionOptions, type NatsConnection } from "nats";
import { natsConnectionOptions } from "@kubeplane/watch";
import { ApiClient } from "./api-client.js";

/**
 * How a component reaches the cluster: the settings every component has under the same config
 * keys (service-kit's `clusterClientConfig`). One client certificate authenticates it to both the
 * apiserver (CN user, O groups) and NATS (mapped to a user with that identity's permissions).
 */
export interface ClusterConnectionSettings {
  /** host:port of the apiserver's gRPC endpoint, or several IP:PORT comma-separated (the client fails over). */
  apiserver: string;
  /** NATS URL(s), comma-separated (`tls://host:4222`). */
  natsUrl: string;
  /** PEM CA that signed the apiserver's and NATS's serving certificates. */
  caFile?: string | undefined;
  /** This component's client certificate and key. */
  clientCertFile?: string | undefined;
  clientKeyFile?: string | undefined;
  /** A bearer token instead of a client certificate, for the apiserver only. */
  token?: string | undefined;
}

/** What connectCluster needs of the service kit's Service (this library does not depend on it). */
export interface ClusterServiceHooks {
  onStop(hook: () => Promise<void> | void): void;
  addReadinessCheck(name: string, check: () => boolean | Promise<boolean>): void;
}

export interface ClusterConnection {
  client: ApiClient;
  nc: NatsConnection;
}

/**
 * Connects to the apiserver and NATS. With `hooks`, NATS becomes a readiness check and closing
 * both becomes a stop hook; registered first, they run last (a Service runs hooks in reverse), so
 * the caller's own hooks (stop informers, flush events) come before them.
 */
export async function connectCluster(
  settings: ClusterConnectionSettings,
  opts: { name: string; hooks?: ClusterServiceHooks; natsOptions?: Partial<ConnectionOptions>; credentials?: ChannelCredentials },
): Promise<ClusterConnection> {
  const client = ApiClient.connect({
    server: settings.apiserver,
    caFile: settings.caFile,
    certFile: settings.clientCertFile,
    keyFile: settings.clientKeyFile,
    token: settings.token,
    ...(opts.credentials ? { credentials: opts.credentials } : {}),
    userAgent: `kubeplane-${opts.name}`,
  });
  let nc: NatsConnection;
  try {
    nc = await connectNats({ ...natsConnectionOptions(settings.natsUrl, settings, `kubeplane-${opts.name}`), ...opts.natsOptions });
  } catch (err) {
    client.close();
    throw err;
  }
  if (opts.hooks) {
    opts.hooks.addReadinessCheck("nats", () => !nc.isClosed());
    opts.hooks.onStop(async () => {
      await nc.close();
    });
    opts.hooks.onStop(() => client.close());
  }
  return { client, nc };
}
