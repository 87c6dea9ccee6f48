// Shared fixtures of the scheduler's integration tests: a real apiserver on etcd + NATS, object builders and a pod watch recorder.
import { fileURLToPath } from "node:url";
import { coreV1Node, coreV1Pod, kindFor, type KindInfo } from "@kubeplane/api";
import { ApiClient, type WatchEvent } from "@kubeplane/client";
import { createLogger, loadConfig } from "@kubeplane/service-kit";
import { clientTls, serviceTlsConfig, startEtcd, startNats, startServiceProcess, waitFor, type EtcdCluster, type NatsServer, type ServiceProcess } from "@kubeplane/testing";
import { schedulerConfig, startScheduler, type RunningScheduler, type SchedulerConfig } from "../src/index.js";

export type Pod = coreV1Pod.Pod;
export type Node = coreV1Node.Node;
export type PodSpec = coreV1Pod.PodSpec;
export const pods = kindFor("v1", "Pod") as KindInfo<Pod>;
export const nodes = kindFor("v1", "Node") as KindInfo<Node>;

export const apiserverMain = fileURLToPath(new URL("../../apiserver/src/main.ts", import.meta.url));
export const schedulerMain = fileURLToPath(new URL("../src/main.ts", import.meta.url));

/** What a node is built from: cpu (allocatable = capacity), labels and taints. */
export interface NodeShape {
  cpu: string;
  labels?: Record<string, string>;
  taints?: { key: string; value?: string; effect: string }[];
}

/** A Node as a kubelet would register it, labelled with its hostname. */
export function node(name: string, shape: NodeShape): Node {
  const resources = { cpu: shape.cpu, memory: "16Gi", pods: "110" };
  return coreV1Node.Node.fromPartial({
    apiVersion: "v1",
    kind: "Node",
    metadata: { name, labels: { "kubernetes.io/hostname": name, ...shape.labels } },
    spec: { taints: (shape.taints ?? []).map((t) => ({ key: t.key, value: t.value ?? "", effect: t.effect })) },
    status: { capacity: resources, allocatable: resources },
  });
}

/** A pending pod with one container requesting `cpu`. */
export function pod(namespace: string, name: string, cpu: string, spec: coreV1Pod.DeepPartial<PodSpec> = {}, labels: Record<string, string> = {}): Pod {
  return coreV1Pod.Pod.fromPartial({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { namespace, name, labels },
    spec: { containers: [{ name: "app", image: "nginx:1.27", resources: { requests: { cpu, memory: "64Mi" } } }], ...spec },
  });
}

/** etcd, NATS and an apiserver process, plus a client to it. */
export interface Cluster {
  etcd: EtcdCluster;
  nats: NatsServer;
  apiserver: ServiceProcess;
  client: ApiClient;
  stop(): Promise<void>;
}

export async function startCluster(): Promise<Cluster> {
  const [etcd, nats] = await Promise.all([startEtcd(), startNats()]);
  const apiserver = await startServiceProcess({ entry: apiserverMain, flags: { "etcd-endpoints": etcd.endpoints.join(","), "nats-url": nats.url } });
  const client = ApiClient.connect({ ...clientTls(), server: apiserver.grpcAddress });
  return {
    etcd,
    nats,
    apiserver,
    client,
    async stop() {
      client.close();
      await apiserver.kill();
      await Promise.allSettled([etcd.stop(), nats.stop()]);
    },
  };
}

/** An in-process scheduler without leader election, on the cluster's apiserver and NATS. */
export async function startTestScheduler(cluster: Cluster, overrides: Partial<SchedulerConfig> = {}): Promise<RunningScheduler> {
  const defaults = loadConfig(schedulerConfig, { argv: [], envPrefix: "KP_SCHED_TEST_UNSET", program: "scheduler-test" });
  return startScheduler(
    {
      ...defaults, ...serviceTlsConfig(clientTls("scheduler")),
      grpcListen: "127.0.0.1:0",
      httpListen: "127.0.0.1:0",
      apiserver: cluster.apiserver.grpcAddress,
      natsUrl: cluster.nats.url,
      leaderElect: false,
      logLevel: "warn",
      shutdownGracePeriod: 2000,
      ...overrides,
    },
    { logger: createLogger("scheduler-test", "warn") },
  );
}

export async function createNamespace(client: ApiClient, name: string): Promise<void> {
  await client.json.create(kindFor("v1", "Namespace")!, { apiVersion: "v1", kind: "Namespace", metadata: { name } });
}

export async function boundPod(client: ApiClient, ns: string, name: string, timeoutMs = 15_000): Promise<Pod> {
  return waitFor(async () => {
    const p = (await client.get(pods, ns, name)) as Pod;
    return p.spec?.nodeName ? p : undefined;
  }, { timeoutMs, message: `pod ${ns}/${name} bound` });
}

/** Waits for the pod's PodScheduled=False condition and returns it. */
export async function unschedulableCondition(client: ApiClient, ns: string, name: string, timeoutMs = 10_000): Promise<coreV1Pod.PodCondition> {
  return waitFor(async () => {
    const p = (await client.get(pods, ns, name)) as Pod;
    const c = p.status?.conditions.find((x) => x.type === "PodScheduled");
    return c?.status === "False" ? c : undefined;
  }, { timeoutMs, message: `PodScheduled=False on ${ns}/${name}` });
}

/** Removes every pod of the namespace (grace 0, as a kubelet confirms) and the named nodes. */
export async function cleanUp(client: ApiClient, ns: string, nodeNames: readonly string[]): Promise<void> {
  const list = (await client.list(pods, { namespace: ns })).items as Pod[];
  await Promise.all(list.map((p) => client.delete(pods, ns, p.metadata!.name, { gracePeriodSeconds: 0 }).catch(() => undefined)));
  await Promise.all(nodeNames.map((n) => client.delete(nodes, "", n).catch(() => undefined)));
}

/**
 * Every pod watch event of a namespace from the moment `start` resolves, in order: the history
 * the tests replay to check what held after each change, not only at the end.
 */
export class PodHistory {
  readonly events: WatchEvent<Pod>[] = [];
  private readonly abort = new AbortController();
  private failure: unknown;
  private loop: Promise<void> = Promise.resolve();

  static async start(client: ApiClient, namespace: string): Promise<PodHistory> {
    const h = new PodHistory();
    const { resourceVersion } = await client.list(pods, { namespace });
    h.loop = (async () => {
      try {
        for await (const ev of client.watch(pods, { namespace, resourceVersion, signal: h.abort.signal })) h.events.push(ev as WatchEvent<Pod>);
      } catch (err) {
        h.failure = err;
      }
    })();
    return h;
  }

  /** Throws if the watch broke: a partial history would prove nothing. */
  check(): void {
    if (this.failure) throw new Error("pod watch failed", { cause: this.failure });
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
  }

  /** Bindings in the order the watch saw them: the first event of each pod that carries a nodeName. */
  bindings(): { name: string; node: string }[] {
    const seen = new Set<string>();
    const out: { name: string; node: string }[] = [];
    for (const ev of this.events) {
      const name = ev.object.metadata?.name ?? "";
      const nodeName = ev.object.spec?.nodeName ?? "";
      if (!nodeName || seen.has(name)) continue;
      seen.add(name);
      out.push({ name, node: nodeName });
    }
    return out;
  }

  /** Pods whose spec.nodeName changed after it was first set (a second binding). */
  rebound(): string[] {
    const first = new Map<string, string>();
    const bad = new Set<string>();
    for (const ev of this.events) {
      if (ev.type === "DELETED" || ev.type === "BOOKMARK") continue;
      const name = ev.object.metadata?.name ?? "";
      const nodeName = ev.object.spec?.nodeName ?? "";
      const prev = first.get(name);
      if (prev === undefined) {
        if (nodeName) first.set(name, nodeName);
      } else if (nodeName !== prev) bad.add(`${name}: ${prev} -> ${nodeName || "(unset)"}`);
    }
    return [...bad];
  }
}
