// Connects a component to the cluster: the apiserver's gRPC client and NATS for the watches, both over mutual TLS.
import type { ChannelCredentials } from "@grpc/grpc-js";
import { setTimeout as delay } from "node:timers/promises";
import { connect as connectNats, ErrorCode, type ConnectionOptions, type NatsConnection } from "nats";
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
  const client = connectApiserver(settings, opts);
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

/** The apiserver half of connectCluster: a client with the component's certificate (or `credentials`, or a token). */
export function connectApiserver(settings: ClusterConnectionSettings, opts: { name: string; credentials?: ChannelCredentials }): ApiClient {
  return ApiClient.connect({
    server: settings.apiserver,
    caFile: settings.caFile,
    certFile: settings.clientCertFile,
    keyFile: settings.clientKeyFile,
    token: settings.token,
    ...(opts.credentials ? { credentials: opts.credentials } : {}),
    userAgent: `kubeplane-${opts.name}`,
  });
}

/** What connectNatsWithRetry logs. */
export interface NatsRetryLogger {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

/**
 * The NATS half of connectCluster for a client whose NATS user may not exist yet: a kubelet that
 * joined with a bootstrap token gets its user from the nats-authorizer only once its Node exists.
 * Tries to connect until it succeeds or `signal` aborts (then it rejects with the abort reason),
 * waiting between attempts with exponential back-off (`initialDelayMs`, default 500 ms, doubling up
 * to `maxDelayMs`, default 30 s). Every refusal is logged as a warning; an authorization violation
 * says that NATS does not know this certificate's user yet.
 */
export async function connectNatsWithRetry(
  settings: ClusterConnectionSettings,
  opts: { name: string; logger: NatsRetryLogger; signal?: AbortSignal; natsOptions?: Partial<ConnectionOptions>; initialDelayMs?: number; maxDelayMs?: number },
): Promise<NatsConnection> {
  const options = { ...natsConnectionOptions(settings.natsUrl, settings, `kubeplane-${opts.name}`), ...opts.natsOptions };
  let wait = opts.initialDelayMs ?? 500;
  for (let attempt = 1; ; attempt++) {
    opts.signal?.throwIfAborted();
    try {
      const nc = await connectNats(options);
      if (attempt > 1) opts.logger.info({ attempts: attempt }, "connected to NATS");
      return nc;
    } catch (err) {
      const code = (err as { code?: string }).code;
      const refused = code === ErrorCode.AuthorizationViolation || code === ErrorCode.PermissionsViolation;
      opts.logger.warn(
        { err: (err as Error).message, code, attempt, retryInMs: wait },
        refused
          ? "NATS refused this certificate (authorization violation): its NATS user does not exist yet (a node's is added by the nats-authorizer once its Node exists); retrying"
          : "could not connect to NATS; retrying",
      );
    }
    await delay(wait, undefined, opts.signal ? { signal: opts.signal } : {});
    wait = Math.min(wait * 2, opts.maxDelayMs ?? 30_000);
  }
}
