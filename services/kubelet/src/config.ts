// The kubelet's configuration.
import { defineConfig, serviceConfig, type ConfigOf } from "@kubeplane/service-kit";

export const kubeletConfig = defineConfig({
  ...serviceConfig({ grpc: "127.0.0.1:10250", http: "127.0.0.1:10248" }),
  apiserver: { type: "string", default: "127.0.0.1:6443", description: "The apiserver's gRPC address (host:port)" },
  apiserverCaFile: { type: "string", description: "CA bundle to verify the apiserver (TLS when set)" },
  natsUrl: { type: "string", default: "nats://127.0.0.1:4222", description: "NATS server URL (JetStream) the apiserver publishes watch events to" },
});

export type KubeletConfig = ConfigOf<typeof kubeletConfig>;
