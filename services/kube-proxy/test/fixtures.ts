// Builders for kube-proxy's unit tests: a Service port with two endpoints, overridable field by field.
import type { ServicePortInfo } from "../src/service-port.js";

/** default/web port http (TCP 80 on 10.96.0.50) with endpoints 10.214.0.2 and .3 on 8080. */
export function servicePort(over: Partial<ServicePortInfo> = {}): ServicePortInfo {
  return {
    id: "default/web/tcp/http",
    namespace: "default",
    name: "web",
    protocol: "tcp",
    clusterIp: "10.96.0.50",
    port: 80,
    nodePort: 0,
    externalIps: [],
    affinitySeconds: 0,
    endpoints: [
      { ip: "10.214.0.2", port: 8080 },
      { ip: "10.214.0.3", port: 8080 },
    ],
    localEndpoints: [],
    externalLocal: false,
    internalLocal: false,
    healthCheckNodePort: 0,
    ...over,
  };
}
