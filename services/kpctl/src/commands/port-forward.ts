// `kpctl port-forward TYPE/NAME [LOCAL:]REMOTE…`: listens on localhost and relays each connection to a pod's port through the apiserver's pods/portforward subresource.
import { once } from "node:events";
import { createServer, type Server, type Socket } from "node:net";
import { pipeline } from "node:stream/promises";
import { kindFor, type KindInfo } from "@kubeplane/api";
import type { JsonObject } from "@kubeplane/client";
import { UsageError } from "../args.js";
import { KpctlError } from "../errors.js";
import { kindByName } from "../kind-args.js";
import type { CommandContext, Command } from "./command.js";

const PODS = kindFor("v1", "Pod") as KindInfo;

interface PodPort {
  name?: string;
  containerPort?: number;
}
interface PodLike {
  metadata?: { name?: string; creationTimestamp?: string };
  spec?: { containers?: Array<{ ports?: PodPort[] }> };
  status?: { phase?: string };
}
interface ServicePort {
  name?: string;
  port?: number;
  targetPort?: number | string;
}

/** One `[LOCAL:]REMOTE` argument; LOCAL 0 (or `:REMOTE`) picks a free port. The remote side may be a port name. */
export function parsePortSpec(spec: string): { local: number; remote: string } {
  const colon = spec.indexOf(":");
  const localText = colon < 0 ? spec : spec.slice(0, colon);
  const remote = colon < 0 ? spec : spec.slice(colon + 1);
  const local = localText === "" ? 0 : Number(localText);
  if (!/^\d*$/.test(localText) || local > 65535) throw new UsageError(`invalid port specification "${spec}": the local port must be a number 0-65535`);
  if (!remote || (/^\d+$/.test(remote) && (Number(remote) < 1 || Number(remote) > 65535))) throw new UsageError(`invalid port specification "${spec}": the remote port must be 1-65535 or a port name`);
  return { local, remote };
}

function containerPortNamed(pod: PodLike, name: string): number {
  for (const c of pod.spec?.containers ?? []) for (const p of c.ports ?? []) if (p.name === name && p.containerPort) return p.containerPort;
  throw new KpctlError(`pod ${pod.metadata?.name ?? ""} does not have a named port '${name}'`, "ENOPORT");
}

/** The pod a TYPE/NAME argument means (a Running pod of a workload's or Service's selector, as kubectl) and how to map remote ports. */
async function resolveTarget(ctx: CommandContext, arg: string): Promise<{ pod: PodLike; remotePort(remote: string): number }> {
  const slash = arg.indexOf("/");
  const info = slash < 0 ? PODS : kindByName(arg.slice(0, slash));
  const name = slash < 0 ? arg : arg.slice(slash + 1);
  const json = ctx.client().json;
  const namespace = ctx.settings.namespace;
  const byName = (pod: PodLike) => (remote: string): number => (/^\d+$/.test(remote) ? Number(remote) : containerPortNamed(pod, remote));
  if (info === PODS) {
    const pod = (await json.get(PODS, namespace, name, { signal: ctx.io.signal })) as PodLike;
    return { pod, remotePort: byName(pod) };
  }
  const obj = (await json.get(info, namespace, name, { signal: ctx.io.signal })) as JsonObject & { spec?: { selector?: unknown; ports?: ServicePort[] } };
  const selectorObj = info.kind === "Service" ? obj.spec?.selector : (obj.spec?.selector as { matchLabels?: unknown } | undefined)?.matchLabels;
  const labels = Object.entries((selectorObj ?? {}) as Record<string, string>);
  if (labels.length === 0) throw new KpctlError(`${info.resource}/${name} has no selector to find a pod by`, "ENOSELECTOR");
  const list = await json.list(PODS, { namespace, labelSelector: labels.map(([k, v]) => `${k}=${v}`).join(","), signal: ctx.io.signal });
  const pods = (list.items as PodLike[]).filter((p) => p.status?.phase === "Running").sort((a, b) => String(a.metadata?.name).localeCompare(String(b.metadata?.name)));
  const pod = pods[0];
  if (!pod) throw new KpctlError(`no running pod for ${info.resource}/${name}`, "ENOPOD");
  if (info.kind !== "Service") return { pod, remotePort: byName(pod) };
  return {
    pod,
    remotePort(remote) {
      // A Service's port (by number or name) forwards to its targetPort on the pod, as kubectl.
      const sp = (obj.spec?.ports ?? []).find((p) => String(p.port) === remote || p.name === remote);
      if (!sp) throw new KpctlError(`service ${name} does not have a service port ${remote}`, "ENOPORT");
      const target = sp.targetPort ?? sp.port;
      return typeof target === "number" ? target : /^\d+$/.test(String(target)) ? Number(target) : containerPortNamed(pod, String(target));
    },
  };
}

async function listen(server: Server, port: number, host: string): Promise<number> {
  server.listen(port, host);
  await Promise.race([once(server, "listening"), once(server, "error").then(([err]) => Promise.reject(err as Error))]);
  const address = server.address();
  return typeof address === "object" && address ? address.port : port;
}

export const portForwardCommand: Command = {
  name: "port-forward",
  summary: "Forward one or more local ports to a pod.",
  usage: "kpctl port-forward TYPE/NAME [LOCAL_PORT:]REMOTE_PORT [...] [--address 127.0.0.1]",
  examples: [
    "  # Local port 8080 to port 80 of pod web",
    "  kpctl port-forward web 8080:80",
    "",
    "  # A random local port to a running pod of deployment web, and a Service's port to its target",
    "  kpctl port-forward deploy/web :80",
    "  kpctl port-forward svc/web 8080:http",
  ].join("\n"),
  flags: [{ name: "address", type: "string", default: "127.0.0.1", description: "The local address to listen on (one address)." }],
  async run(ctx) {
    const [target, ...specs] = ctx.args;
    if (!target || specs.length === 0) throw new UsageError("TYPE/NAME and a list of ports are required for port-forward");
    const ports = specs.map(parsePortSpec);
    const client = ctx.client();
    if (!client.podPortForward) throw new Error("this client cannot forward ports");
    const forward = client.podPortForward.bind(client);
    const { pod, remotePort } = await resolveTarget(ctx, target);
    const podName = pod.metadata?.name ?? "";
    if (pod.status?.phase !== "Running") throw new KpctlError(`unable to forward port because pod is not running. Current status=${pod.status?.phase ?? "Unknown"}`, "ENOTRUNNING");
    const address = ctx.flags.string("address") ?? "127.0.0.1";
    const servers: Server[] = [];
    try {
      for (const p of ports) {
        const remote = remotePort(p.remote);
        const sockets = new Set<Socket>();
        const server = createServer({ allowHalfOpen: true }, (socket) => {
          ctx.out(`Handling connection for ${port}\n`);
          sockets.add(socket);
          const upstream = forward(ctx.settings.namespace, podName, remote);
          const done = (err?: unknown): void => {
            sockets.delete(socket);
            if (err && !(err instanceof Error && err.name === "AbortError")) ctx.err(`E${new Date().toISOString()} error forwarding port ${remote} to pod ${podName}: ${err instanceof Error ? err.message : String(err)}\n`);
            socket.destroy();
            upstream.destroy();
          };
          Promise.all([pipeline(socket, upstream, { end: true }), pipeline(upstream, socket)]).then(() => done(), done);
        });
        servers.push(server);
        const port = await listen(server, p.local, address);
        ctx.out(`Forwarding from ${address.includes(":") ? `[${address}]` : address}:${port} -> ${remote}\n`);
      }
      // Until Ctrl-C (the io's signal).
      const signal = ctx.io.signal;
      if (signal && !signal.aborted) await once(signal, "abort");
      return 0;
    } finally {
      for (const s of servers) s.close();
    }
  },
};
