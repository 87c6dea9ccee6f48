// Object builders for the unit tests: Ingresses, Services and EndpointSlices in their generated shapes.
import type { coreV1Service, discoveryV1, networkingV1 } from "@kubeplane/api";

type Meta = NonNullable<networkingV1.Ingress["metadata"]>;

/** ObjectMeta with only the fields a test sets (the generated type lists every field as present). */
function meta(fields: Record<string, unknown>): Meta {
  return fields as unknown as Meta;
}

/** A path of an Ingress rule, in the shorthand the tests use. */
export interface PathSpec {
  path: string;
  pathType?: string;
  service: string;
  port?: number | string;
}

/** An Ingress backend for `service` on a port number or name. */
export function backend(service: string, port: number | string = 80): networkingV1.IngressBackend {
  return { service: { name: service, port: typeof port === "number" ? { number: port, name: "" } : { number: 0, name: port } } };
}

/** An Ingress in `ns` with rules host → paths, and optionally a default backend and creation time. */
export function ingress(
  name: string,
  rules: Record<string, PathSpec[]>,
  opts: { ns?: string; defaultBackend?: networkingV1.IngressBackend; created?: string; className?: string } = {},
): networkingV1.Ingress {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    metadata: meta({ name, namespace: opts.ns ?? "default", creationTimestamp: opts.created ?? "2026-01-01T00:00:00Z" }),
    spec: {
      ingressClassName: opts.className ?? "kubeplane",
      defaultBackend: opts.defaultBackend,
      tls: [],
      rules: Object.entries(rules).map(([host, paths]) => ({
        host,
        http: { paths: paths.map((p) => ({ path: p.path, pathType: p.pathType ?? "Prefix", backend: backend(p.service, p.port) })) },
      })),
    },
  };
}

/** A Service with `ports` (name, port). */
export function service(name: string, ports: Array<{ name?: string; port: number }>, ns = "default"): coreV1Service.Service {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: meta({ name, namespace: ns }),
    spec: { ports: ports.map((p) => ({ name: p.name ?? "", port: p.port, protocol: "TCP", targetPort: "", nodePort: 0 })) } as unknown as coreV1Service.Service["spec"],
  };
}

/** An IPv4 EndpointSlice of `service` with endpoints (address, ready) and named ports. */
export function slice(
  service: string,
  endpoints: Array<{ ip: string; ready?: boolean }>,
  ports: Array<{ name?: string; port: number }>,
  ns = "default",
): discoveryV1.EndpointSlice {
  return {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: meta({ name: `${service}-x`, namespace: ns, labels: { "kubernetes.io/service-name": service } }),
    addressType: "IPv4",
    endpoints: endpoints.map((e) => ({ addresses: [e.ip], conditions: e.ready === undefined ? undefined : { ready: e.ready }, deprecatedTopology: {} })),
    ports: ports.map((p) => ({ name: p.name ?? "", port: p.port, protocol: "TCP" })),
  };
}
