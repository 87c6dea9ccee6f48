// The ingress controller's configuration: proxy listeners, the Ingress class it serves, the address it publishes.
import { isIP } from "node:net";
import { clusterClientConfig, defineConfig, serviceConfig, type ConfigOf } from "@kubeplane/service-kit";

/** Why `value` is not IP:PORT (IPv6 in brackets), or undefined when it is. */
export function ipPortProblem(value: string): string | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([0-9.]+)):(\d{1,5})$/.exec(value);
  const host = m?.[1] ?? m?.[2];
  if (!m || !host || isIP(host) === 0 || Number(m[3]) > 65535) return 'must be IP:PORT, such as "0.0.0.0:80" or "[::]:80"';
  return undefined;
}

function publishAddressProblem(value: string): string | undefined {
  return value === "" || isIP(value) !== 0 ? undefined : 'must be an IP address, such as "192.0.2.10" (empty: the node\'s first IPv4)';
}

function workerProcessesProblem(value: string): string | undefined {
  return value === "auto" || /^[1-9]\d{0,2}$/.test(value) ? undefined : 'must be a number of workers or "auto"';
}

/**
 * The schema. The proxy listeners are `proxyHttpListen`/`proxyHttpsListen` because `httpListen`
 * is service-kit's listener for /metrics, /healthz and /readyz (nginx-ingress's 10254).
 */
export const ingressControllerConfig = defineConfig({
  ...serviceConfig({ grpc: "127.0.0.1:10264", http: "127.0.0.1:10254" }),
  ...clusterClientConfig(),
  proxyHttpListen: { type: "string", default: "0.0.0.0:80", validate: ipPortProblem, description: "IP:PORT the HTTP reverse proxy listens on" },
  proxyHttpsListen: { type: "string", default: "0.0.0.0:443", validate: ipPortProblem, description: "IP:PORT the HTTPS reverse proxy listens on (certificate by SNI)" },
  ingressClass: { type: "string", default: "kubeplane", description: "The spec.ingressClassName of the Ingresses this controller serves" },
  watchIngressWithoutClass: { type: "bool", description: "Also serve Ingresses that name no class" },
  publishAddress: {
    type: "string",
    default: "",
    validate: publishAddressProblem,
    description: "The IP written to status.loadBalancer.ingress of served Ingresses (empty: the node's first non-internal IPv4)",
  },
  upstreamConnectTimeout: { type: "duration", default: "5s", description: "How long connecting to one endpoint may take before the next is tried" },
  dataPlane: { type: "enum", values: ["nginx", "node"], default: "nginx", description: "What proxies requests: nginx (rendered configuration, supervised child process) or the in-process Node proxy" },
  stateDir: { type: "string", default: "", description: "nginx's configuration, pid, temp and certificate files (empty: a fresh temporary directory, removed on stop)" },
  nginxBinary: { type: "string", default: "nginx", description: "The nginx executable (Debian nginx-light, with libnginx-mod-http-lua)" },
  nginxModulesDir: { type: "string", default: "/usr/lib/nginx/modules", description: "Where nginx's dynamic modules are: the Lua module and its NDK (Debian libnginx-mod-http-lua)" },
  nginxRequestMetrics: {
    type: "enum",
    values: ["access-log", "lua"],
    default: "access-log",
    description:
      "How nginx counts requests for the metrics: one access log line a request, read by the controller from a FIFO every 100 ms (the cheaper), or in its workers with lua-nginx-module (a shared dict read at scrape time: no pipe that can fill up, ~2 µs more CPU a request)",
  },
  nginxWorkerProcesses: { type: "string", default: "1", validate: workerProcessesProblem, description: 'nginx worker_processes: a number or "auto" (one per core)' },
  minReloadInterval: { type: "duration", default: "200ms", description: "At most one nginx reload per this interval; changes in between are applied together" },
});

export type IngressControllerConfig = ConfigOf<typeof ingressControllerConfig>;
