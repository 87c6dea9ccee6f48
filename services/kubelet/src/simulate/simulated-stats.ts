// Resource usage of simulated pods (tests of the metrics pipeline and the HPA): each pod uses what its annotations say, served as the kubelet's stats over the node's own mutual TLS.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Server, ServerCredentials, status as GrpcStatus, type sendUnaryData, type ServerUnaryCall, type UntypedHandleCall } from "@grpc/grpc-js";
import { cpuMillis, bytes, kubeletV1, type coreV1Pod } from "@kubeplane/api";
import type { Logger } from "@kubeplane/service-kit";

type Pod = coreV1Pod.Pod;

/** A simulated pod's CPU use: a quantity ("250m"), split evenly over its containers. */
export const SIMULATED_CPU_USAGE_ANNOTATION = "kubeplane.io/simulated-cpu-usage";
/** A simulated pod's working set: a quantity ("64Mi"), split evenly over its containers. */
export const SIMULATED_MEMORY_USAGE_ANNOTATION = "kubeplane.io/simulated-memory-usage";

/** What a pod's annotations say it uses now; unset or unreadable annotations are 0. */
export function simulatedPodUsage(pod: Pod): { nanoCores: number; workingSetBytes: number } {
  const annotations = pod.metadata?.annotations ?? {};
  const read = (key: string, parse: (q: string) => number): number => {
    try {
      return annotations[key] ? parse(annotations[key]) : 0;
    } catch {
      return 0;
    }
  };
  return { nanoCores: read(SIMULATED_CPU_USAGE_ANNOTATION, cpuMillis) * 1e6, workingSetBytes: read(SIMULATED_MEMORY_USAGE_ANNOTATION, bytes) };
}

interface Counter {
  coreNanoSeconds: number;
  atMs: number;
  nanoCores: number;
}

/**
 * The stats Summary of one simulated node: each container's cumulative CPU counter advances at its
 * pod's annotated rate between calls (so a rate computed from two Summaries is that rate), and the
 * node's usage is the sum of its pods'. Counters of pods no longer listed are dropped.
 */
export class SimulatedUsage {
  private readonly counters = new Map<string, Counter>();

  constructor(private readonly now: () => number = Date.now) {}

  summary(nodeName: string, pods: readonly Pod[]): kubeletV1.StatsResponse {
    const nowMs = this.now();
    const time = new Date(nowMs).toISOString();
    const seen = new Set<string>();
    let nodeCpu = 0;
    let nodeCumulative = 0;
    let nodeMemory = 0;
    const podStats = pods.map((pod) => {
      const uid = pod.metadata?.uid ?? "";
      const usage = simulatedPodUsage(pod);
      const names = (pod.spec?.containers ?? []).map((c) => c.name);
      const share = names.length || 1;
      const containers = names.map((name) => {
        const key = `${uid}/${name}`;
        seen.add(key);
        const rate = usage.nanoCores / share;
        const previous = this.counters.get(key);
        // The counter advanced at the rate in force since the last Summary.
        const coreNanoSeconds = previous ? previous.coreNanoSeconds + (previous.nanoCores * (nowMs - previous.atMs)) / 1000 : 0;
        this.counters.set(key, { coreNanoSeconds, atMs: nowMs, nanoCores: rate });
        return { name, cpu: { time, usageNanoCores: Math.round(rate), usageCoreNanoSeconds: Math.round(coreNanoSeconds) }, memory: { time, workingSetBytes: Math.round(usage.workingSetBytes / share) } };
      });
      const cpu = containers.reduce((s, c) => s + (c.cpu.usageNanoCores ?? 0), 0);
      const cumulative = containers.reduce((s, c) => s + c.cpu.usageCoreNanoSeconds, 0);
      const memory = containers.reduce((s, c) => s + c.memory.workingSetBytes, 0);
      nodeCpu += cpu;
      nodeCumulative += cumulative;
      nodeMemory += memory;
      return {
        podRef: { name: pod.metadata?.name ?? "", namespace: pod.metadata?.namespace ?? "", uid },
        containers,
        cpu: { time, usageNanoCores: cpu, usageCoreNanoSeconds: cumulative },
        memory: { time, workingSetBytes: memory },
      };
    });
    for (const key of this.counters.keys()) if (!seen.has(key)) this.counters.delete(key);
    return kubeletV1.StatsResponse.fromPartial({
      node: { nodeName, cpu: { time, usageNanoCores: nodeCpu, usageCoreNanoSeconds: nodeCumulative }, memory: { time, workingSetBytes: nodeMemory } },
      pods: podStats,
    });
  }
}

/** Where a simulated node's serving certificate is: `node-<name>.crt` and `.key` in the directory (the cluster PKI's names). */
export function simulatedNodeCert(certDir: string, nodeName: string): { certFile: string; keyFile: string } | undefined {
  const certFile = join(certDir, `node-${nodeName}.crt`);
  const keyFile = join(certDir, `node-${nodeName}.key`);
  return existsSync(certFile) && existsSync(keyFile) ? { certFile, keyFile } : undefined;
}

export interface SimulatedStatsServer {
  readonly port: number;
  stop(): Promise<void>;
}

/**
 * Serves one simulated node's kubelet API on 127.0.0.1 (a free port) with the node's own certificate,
 * requiring a client certificate of the cluster CA, as a real kubelet: only `Stats` answers; the
 * other methods are UNIMPLEMENTED (nothing runs on a simulated node).
 */
export async function startSimulatedStatsServer(opts: {
  nodeName: string;
  cert: { certFile: string; keyFile: string };
  caFile: string;
  summary: () => kubeletV1.StatsResponse;
  logger: Logger;
}): Promise<SimulatedStatsServer> {
  const server = new Server();
  const unimplemented = (_call: unknown, callback: (err: { code: number; details: string }) => void): void =>
    callback({ code: GrpcStatus.UNIMPLEMENTED, details: `a simulated node (${opts.nodeName}) serves only stats` });
  const handlers: Record<string, UntypedHandleCall> = {};
  for (const name of Object.keys(kubeletV1.KubeletServiceService)) handlers[name] = unimplemented as unknown as UntypedHandleCall;
  handlers.stats = ((_call: ServerUnaryCall<kubeletV1.StatsRequest, kubeletV1.StatsResponse>, callback: sendUnaryData<kubeletV1.StatsResponse>) => {
    try {
      callback(null, opts.summary());
    } catch (err) {
      opts.logger.warn({ err, kind: "Node", name: opts.nodeName }, "simulated stats failed");
      callback({ code: GrpcStatus.INTERNAL, details: (err as Error).message });
    }
  }) as UntypedHandleCall;
  server.addService(kubeletV1.KubeletServiceService, handlers);
  const credentials = ServerCredentials.createSsl(readFileSync(opts.caFile), [{ cert_chain: readFileSync(opts.cert.certFile), private_key: readFileSync(opts.cert.keyFile) }], true);
  const port = await new Promise<number>((resolve, reject) => server.bindAsync("127.0.0.1:0", credentials, (err, p) => (err ? reject(err) : resolve(p))));
  return {
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        server.tryShutdown(() => resolve());
      }),
  };
}
