// The nats-authorizer's configuration: its listeners, how it reaches the apiserver, and the nats-server it keeps in step.
import { defineConfig, serviceConfig, type ConfigOf } from "@kubeplane/service-kit";

const httpUrl = (value: string): string | undefined =>
  value === "" || /^https?:\/\/[^/]+\/?$/.test(value) ? undefined : 'must be empty or http(s)://HOST:PORT, such as "http://127.0.0.1:8222"';

export const natsAuthorizerConfig = defineConfig({
  ...serviceConfig({ grpc: "127.0.0.1:10271", http: "127.0.0.1:10272" }),
  apiserver: { type: "string", default: "127.0.0.1:6443", description: "The apiserver's gRPC address (host:port, or several IP:PORT comma-separated)" },
  caFile: { type: "string", description: "PEM CA bundle that verifies the apiserver's serving certificate" },
  clientCertFile: { type: "string", description: "PEM client certificate of this authorizer (CN system:kubeplane:nats-authorizer)" },
  clientKeyFile: { type: "string", description: "PEM private key of clientCertFile" },
  authorizationFile: {
    type: "string",
    required: true,
    description: "The file nats.conf includes with the `authorization` block; rewritten (0600, by rename) when the users change",
  },
  staticUsersFile: {
    type: "string",
    required: true,
    description: "JSON list of the static users' certificate subjects (infra/scripts/nats-authorization.mjs --static-subjects PKI_DIR); re-read on every resync",
  },
  natsPidFile: {
    type: "string",
    required: true,
    description: "nats-server's pid file (its pid_file / -P, or any file whose first word is its pid): the process sent SIGHUP to reload",
  },
  natsMonitorUrl: {
    type: "string",
    default: "",
    validate: httpUrl,
    description: "nats-server's HTTP monitor (its -m port); when set, a reload counts as done once /varz's config_load_time changed",
  },
  resyncPeriod: { type: "duration", default: "30s", description: "How often the file is rendered again even without a Node change (static users, an edited file)" },
  reloadTimeout: { type: "duration", default: "5s", description: "How long to wait for nats-server to confirm a reload (with natsMonitorUrl)" },
});

/** The nats-authorizer's validated configuration. */
export type NatsAuthorizerConfig = ConfigOf<typeof natsAuthorizerConfig>;
