// The nats-authorizer's metrics: renders (changed or not), reloads by result, node users, relists.
import { Counter, Gauge, type Registry } from "prom-client";

export interface NatsAuthorizerMetrics {
  renders: Counter<"changed">;
  reloads: Counter<"result">;
  nodeUsers: Gauge;
  relists: Counter;
}

export function natsAuthorizerMetrics(registry: Registry): NatsAuthorizerMetrics {
  const registers = [registry];
  return {
    renders: new Counter({ name: "kubeplane_nats_authorizer_renders_total", help: "Authorization files rendered, by whether they differed from the file on disk", labelNames: ["changed"], registers }),
    reloads: new Counter({ name: "kubeplane_nats_authorizer_reloads_total", help: "nats-server configuration reloads, by result (success, error)", labelNames: ["result"], registers }),
    nodeUsers: new Gauge({ name: "kubeplane_nats_authorizer_node_users", help: "Node users in the authorization file last written or confirmed", registers }),
    relists: new Counter({ name: "kubeplane_nats_authorizer_node_relists_total", help: "Full lists of Nodes (the first one included), each followed by a watch", registers }),
  };
}
