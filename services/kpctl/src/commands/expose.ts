// `kpctl expose`: a Service for a deployment, replica set, replication controller, pod or service, selecting its pods.
import type { JsonObject } from "@kubeplane/client";
import { UsageError } from "../args.js";
import { KpctlError } from "../errors.js";
import { arr, isRecord, num, rec, str } from "../json-fields.js";
import { resolveTargets } from "../object-targets.js";
import { containersOf, podSpecOf } from "../pod-template.js";
import type { Command } from "./command.js";
import { createObject, OUTPUT_FLAG } from "./create-object.js";
import { DRY_RUN_FLAG, FILENAME_FLAG } from "./shared-flags.js";

const EXPOSABLE = new Set(["/pods", "/services", "/replicationcontrollers", "apps/deployments", "apps/replicasets"]);

/** The label selector a Service for this object uses; throws when it has none a Service can express. */
export function exposeSelector(resource: string, obj: JsonObject): Record<string, string> {
  let selector: Record<string, unknown>;
  if (resource === "/pods") selector = rec(obj, "metadata", "labels");
  else if (resource === "/services" || resource === "/replicationcontrollers") selector = rec(obj, "spec", "selector");
  else {
    if (arr(obj, "spec", "selector", "matchExpressions").length) throw new KpctlError("the selector has matchExpressions, which a Service cannot express", "EEXPOSE");
    selector = rec(obj, "spec", "selector", "matchLabels");
  }
  if (Object.keys(selector).length === 0) throw new KpctlError(`couldn't retrieve selectors via --selector flag or introspection: the ${resource.split("/")[1]} has no labels to select its pods by`, "EEXPOSE");
  return Object.fromEntries(Object.entries(selector).map(([k, v]) => [k, String(v)]));
}

/** The ports of the object when --port is not given: a service's ports, else its containers' ports. */
export function exposePorts(resource: string, info: Parameters<typeof podSpecOf>[0], obj: JsonObject): { port: number; protocol: string; name?: string }[] {
  if (resource === "/services") return arr(obj, "spec", "ports").map((p) => ({ port: num(p, "port") ?? 0, protocol: str(p, "protocol") || "TCP", name: str(p, "name") || undefined }));
  const ports = containersOf(podSpecOf(info, structuredClone(obj))).flatMap((c) => arr(c, "ports").filter(isRecord));
  return ports.map((p) => ({ port: num(p, "containerPort") ?? 0, protocol: str(p, "protocol") || "TCP", name: str(p, "name") || undefined }));
}

function intOrString(v: string): number | string {
  return /^\d+$/.test(v) ? Number(v) : v;
}

export const exposeCommand: Command = {
  name: "expose",
  summary: "Take a deployment, replica set, replication controller, pod or service and expose it as a new Service.\nThe Service selects the object's pods by its selector (a pod: its labels).",
  usage: "kpctl expose (-f FILENAME | TYPE NAME) [--port=PORT] [--target-port=PORT] [--type=ClusterIP|NodePort|LoadBalancer] [--name=NAME] [--protocol=TCP|UDP] [options]",
  examples: [
    "  # A ClusterIP service on port 80 for the pods of deployment web, which listen on 8080",
    "  kpctl expose deployment web --port=80 --target-port=8080",
    "",
    "  # A NodePort service named web-np for pod web-0",
    "  kpctl expose pod web-0 --port=8080 --type=NodePort --name=web-np",
  ].join("\n"),
  flags: [
    FILENAME_FLAG,
    { name: "port", type: "string", description: "The port that the service should serve on (default: the object's container or service ports)." },
    { name: "target-port", type: "string", description: "Number or name of the port on the pods to send traffic to (default: --port)." },
    { name: "protocol", type: "string", description: "The network protocol of the service port: TCP (default), UDP or SCTP." },
    { name: "type", type: "string", description: "The Service type: ClusterIP (default), NodePort or LoadBalancer." },
    { name: "name", type: "string", description: "The name of the new Service (default: the object's name)." },
    { name: "selector", type: "string", description: "A label selector (k=v,k2=v2) instead of the object's." },
    { name: "labels", short: "l", type: "strings", description: "Labels to apply to the Service (default: the object's labels)." },
    { name: "cluster-ip", type: "string", description: "The ClusterIP to ask for; 'None' makes a headless service." },
    DRY_RUN_FLAG,
    OUTPUT_FLAG,
  ],
  async run(ctx) {
    const targets = await resolveTargets(ctx);
    if (targets.length !== 1) throw new UsageError("expose takes exactly one object");
    const t = targets[0]!;
    const resource = `${t.info.group}/${t.info.resource}`;
    if (!EXPOSABLE.has(resource)) throw new KpctlError(`cannot expose a ${t.info.kind}`, "EEXPOSE");
    const obj = await ctx.client().json.get(t.info, t.namespace, t.name, { signal: ctx.io.signal });
    const selectorFlag = ctx.flags.string("selector");
    const selector = selectorFlag
      ? Object.fromEntries(selectorFlag.split(",").map((kv) => kv.split("=") as [string, string]))
      : exposeSelector(resource, obj);
    const portFlag = ctx.flags.string("port");
    const protocol = ctx.flags.string("protocol");
    const target = ctx.flags.string("target-port");
    let ports = portFlag ? [{ port: Number(portFlag), protocol: protocol ?? "TCP", name: undefined as string | undefined }] : exposePorts(resource, t.info, obj);
    if (ports.length === 0) throw new KpctlError(`couldn't find port via --port flag or introspection`, "EEXPOSE");
    if (ports.some((p) => !Number.isInteger(p.port) || p.port < 1 || p.port > 65535)) throw new UsageError(`invalid --port ${portFlag ?? ""}: must be 1-65535`);
    if (protocol) ports = ports.map((p) => ({ ...p, protocol }));
    const servicePorts = ports.map((p, i) => ({
      ...(ports.length > 1 ? { name: p.name ?? `port-${i + 1}` } : {}),
      port: p.port,
      protocol: p.protocol,
      targetPort: target !== undefined ? intOrString(target) : p.port,
    }));
    const labelFlag = ctx.flags.strings("labels");
    const labels = labelFlag.length ? Object.fromEntries(labelFlag.map((kv) => kv.split("=") as [string, string])) : rec(obj, "metadata", "labels");
    const spec: Record<string, unknown> = { ports: servicePorts, selector };
    const type = ctx.flags.string("type");
    if (type) spec.type = type;
    const clusterIp = ctx.flags.string("cluster-ip");
    if (clusterIp) spec.clusterIP = clusterIp;
    const service: JsonObject = { apiVersion: "v1", kind: "Service", metadata: { name: ctx.flags.string("name") ?? t.name, ...(Object.keys(labels).length ? { labels } : {}) }, spec };
    await createObject(ctx, service, "exposed");
    return 0;
  },
};
