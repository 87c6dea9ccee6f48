// Test harness: real etcd, NATS and an apiserver process; controller-managers in-process; and
// stand-in kubelets that bind pods and report them Running and Ready through the API.
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { connect, type NatsConnection } from "nats";
import { coordinationV1, coreV1Node, coreV1Pod, isConflict, isNotFound, kindFor, type coreV1Event, type KindInfo } from "@kubeplane/api";
import { ApiClient, Informer, WorkQueue, type WatchConnection } from "@kubeplane/client";
import { createLogger, loadConfig } from "@kubeplane/service-kit";
import { clientTls, natsOptions, serviceTlsConfig, startEtcd, startNats, startServiceProcess, type EtcdCluster, type NatsServer, type ServiceProcess } from "@kubeplane/testing";
import { controllerManagerConfig, startControllerManager, type ControllerManager, type ControllerManagerConfig } from "../src/index.js";

const apiserverMain = fileURLToPath(new URL("../../apiserver/src/main.ts", import.meta.url));
const controllerManagerMain = fileURLToPath(new URL("../src/main.ts", import.meta.url));
export const pods = kindFor("v1", "Pod") as KindInfo<coreV1Pod.Pod>;

export interface CmCluster {
  etcd: EtcdCluster;
  nats: NatsServer;
  apiserver: ServiceProcess;
  client: ApiClient;
  watch: WatchConnection & { nc: NatsConnection };
  /** Starts a controller-manager in-process running `controllers` (default all), without leader election unless asked. */
  startControllerManager(overrides?: Partial<ControllerManagerConfig>, now?: () => Date): Promise<ControllerManager>;
  stop(): Promise<void>;
}

/** `apiserverFlags`: extra apiserver flags (without dashes), e.g. a short `metric-resolution`. */
export async function startCmCluster(opts: { apiserverFlags?: Record<string, string> } = {}): Promise<CmCluster> {
  const [etcd, nats] = await Promise.all([startEtcd(), startNats()]);
  const managers: ControllerManager[] = [];
  let apiserver: ServiceProcess | undefined;
  try {
    apiserver = await startServiceProcess({ entry: apiserverMain, flags: { "etcd-endpoints": etcd.endpoints.join(","), "nats-url": nats.url, ...opts.apiserverFlags } });
    const client = ApiClient.connect({ ...clientTls(), server: apiserver.grpcAddress });
    const nc = await connect({ ...natsOptions(nats.url), servers: nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 200 });
    const watch = { nc, js: nc.jetstream(), jsm: await nc.jetstreamManager() };
    const logger = createLogger("controller-manager-test", "warn");
    const server = apiserver;
    return {
      etcd,
      nats,
      apiserver,
      client,
      watch,
      async startControllerManager(overrides = {}, now) {
        const defaults = loadConfig(controllerManagerConfig, { argv: [], envPrefix: "KP_CM_TEST_UNSET", program: "cm-test" });
        const cm = await startControllerManager(
          {
            ...defaults, ...serviceTlsConfig(clientTls("controller-manager")),
            grpcListen: "127.0.0.1:0",
            httpListen: "127.0.0.1:0",
            apiserver: server.grpcAddress,
            natsUrl: nats.url,
            leaderElect: false,
            logLevel: "warn",
            shutdownGracePeriod: 2000,
            ...overrides,
          },
          { logger, now },
        );
        managers.push(cm);
        return cm;
      },
      async stop() {
        await Promise.allSettled(managers.map((m) => m.stop()));
        client.close();
        await nc.close().catch(() => undefined);
        await apiserver?.kill();
        await Promise.allSettled([etcd.stop(), nats.stop()]);
      },
    };
  } catch (err) {
    await apiserver?.kill();
    await Promise.allSettled([etcd.stop(), nats.stop()]);
    throw err;
  }
}

/**
 * Starts a controller-manager as its own process, as the product runs it, pointed at the cluster's
 * apiserver and NATS; `flags` are its command-line flags without the dashes. Resolves once its
 * /readyz answers (a standby is ready too). The caller kills it; `cluster.stop()` does not.
 */
export function startControllerManagerProcess(cluster: Pick<CmCluster, "apiserver" | "nats">, flags: Record<string, string> = {}): Promise<ServiceProcess> {
  return startServiceProcess({ entry: controllerManagerMain, flags: { apiserver: cluster.apiserver.grpcAddress, "nats-url": cluster.nats.url, ...flags } });
}

/**
 * Stand-in kubelets for tests of controllers (the real kubelet is issue 8): pods without a node
 * are bound round-robin to `nodes` (as a scheduler would), bound Pending pods become Running and
 * Ready after `readyDelayMs`, and pods being deleted are removed (as a kubelet does after stopping
 * them). Everything goes through the apiserver. Runs until the signal aborts. `bind: false` leaves
 * binding to a real scheduler.
 */
export function startFakeKubelets(cluster: Pick<CmCluster, "client" | "watch">, nodes: string[], signal: AbortSignal, opts: { readyDelayMs?: number; bind?: boolean } = {}): Promise<void> {
  const { client } = cluster;
  const informer = new Informer({ client, watch: cluster.watch, kind: pods });
  const queue = new WorkQueue<string>();
  informer.addEventHandler({ onAdd: (p) => queue.add(key(p)), onUpdate: (_o, p) => queue.add(key(p)) });
  signal.addEventListener("abort", () => queue.shutDown(), { once: true });
  let next = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const item = await queue.get();
      if (item.shutdown) return;
      const [ns, name] = item.key.split("/") as [string, string];
      try {
        const pod = informer.lister.get(ns, name);
        if (!pod) continue;
        if (pod.metadata?.deletionTimestamp) {
          await client.delete(pods, ns, name, { gracePeriodSeconds: 0 });
        } else if (!pod.spec?.nodeName) {
          if (opts.bind !== false) await client.bind(ns, name, nodes[next++ % nodes.length]!);
        } else if (pod.status?.phase === "Pending" && nodes.includes(pod.spec.nodeName)) {
          if (opts.readyDelayMs) await new Promise((r) => setTimeout(r, opts.readyDelayMs));
          const now = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
          const running = coreV1Pod.Pod.fromPartial(pod);
          running.status = coreV1Pod.PodStatus.fromPartial({
            ...pod.status,
            phase: "Running",
            podIp: `10.244.0.${(next++ % 250) + 2}`,
            startTime: now,
            conditions: ["PodScheduled", "Initialized", "ContainersReady", "Ready"].map((type) => ({ type, status: "True", lastTransitionTime: now })),
            containerStatuses: (pod.spec.containers ?? []).map((c) => ({ name: c.name, image: c.image, ready: true, restartCount: 0, started: true, state: { running: { startedAt: now } } })),
          });
          await client.updateStatus(pods, running);
        }
        queue.forget(item.key);
      } catch {
        if (!signal.aborted) queue.addRateLimited(item.key);
      } finally {
        queue.done(item.key);
      }
    }
  };
  const running = informer.run(signal);
  return Promise.all([running, worker(), worker(), worker(), worker()]).then(() => undefined);
}

function key(p: coreV1Pod.Pod): string {
  return `${p.metadata!.namespace}/${p.metadata!.name}`;
}

// ---- stand-in node heartbeats (the kubelet's Lease and Ready condition; the real kubelet is issue 8)

const nodeKind = kindFor("v1", "Node") as KindInfo<coreV1Node.Node>;
const leaseKind = kindFor("coordination.k8s.io/v1", "Lease") as KindInfo<coordinationV1.Lease>;
const LEASE_NS = "kube-node-lease";

const microTime = (d: Date): string => d.toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
const time = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, "Z");

/**
 * Stand-in kubelets (the real one is issue 8): every 300 ms each node in `alive` renews its Lease
 * and, if its Ready condition is not True, posts Ready=True, as a kubelet does after it was away.
 */
export async function heartbeats(cluster: Pick<CmCluster, "client">, alive: Set<string>, signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    for (const name of alive) {
      try {
        await renewLease(cluster, name);
        await postReady(cluster, name);
      } catch {
        // A conflict with the controller's own write: the next beat tries again.
      }
    }
    await sleep(300, undefined, { signal }).catch(() => undefined);
  }
}

export async function renewLease(cluster: Pick<CmCluster, "client">, name: string): Promise<void> {
  const renewTime = microTime(new Date());
  try {
    const lease = await cluster.client.get(leaseKind, LEASE_NS, name) as coordinationV1.Lease;
    lease.spec = coordinationV1.LeaseSpec.fromPartial({ ...lease.spec, renewTime });
    await cluster.client.update(leaseKind, lease);
  } catch (err) {
    if (!isNotFound(err)) throw err;
    await cluster.client.create(leaseKind, coordinationV1.Lease.fromPartial({
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: { name, namespace: LEASE_NS },
      spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime },
    }));
  }
}

export async function postReady(cluster: Pick<CmCluster, "client">, name: string): Promise<void> {
  const node = await cluster.client.get(nodeKind, "", name) as coreV1Node.Node;
  if (node.status?.conditions.find((c) => c.type === "Ready")?.status === "True") return;
  const now = time(new Date());
  const cond = (type: string, status: string, reason: string): coreV1Node.NodeCondition =>
    ({ type, status, reason, message: "", lastHeartbeatTime: now, lastTransitionTime: now });
  node.status = coreV1Node.NodeStatus.fromPartial({
    ...node.status,
    conditions: [
      cond("Ready", "True", "KubeletReady"),
      cond("MemoryPressure", "False", "KubeletHasSufficientMemory"),
      cond("DiskPressure", "False", "KubeletHasNoDiskPressure"),
      cond("PIDPressure", "False", "KubeletHasSufficientPID"),
    ],
  });
  await cluster.client.updateStatus(nodeKind, node);
}

/** Ends a pod as a kubelet would report it (retrying lost races with a stand-in kubelet). */
export async function finishPod(cluster: Pick<CmCluster, "client">, pod: coreV1Pod.Pod, phase: "Succeeded" | "Failed"): Promise<void> {
  const namespace = pod.metadata!.namespace;
  for (let p = pod; ; p = (await cluster.client.get(pods, namespace, pod.metadata!.name)) as coreV1Pod.Pod) {
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
    const done = coreV1Pod.Pod.fromPartial(p);
    done.status = coreV1Pod.PodStatus.fromPartial({
      ...p.status,
      phase,
      conditions: [{ type: "Ready", status: "False", lastTransitionTime: now }],
      containerStatuses: [{ name: "work", image: "busybox", ready: false, restartCount: 0, state: { terminated: { exitCode: phase === "Failed" ? 1 : 0, finishedAt: now } } }],
    });
    try {
      await cluster.client.updateStatus(pods, done);
      return;
    } catch (err) {
      if (!isConflict(err)) throw err;
    }
  }
}

const eventKind = kindFor("v1", "Event") as KindInfo<coreV1Event.Event>;

/** The Events in `namespace` about the object with `uid` (optionally one reason), oldest first. */
export async function eventsAbout(cluster: Pick<CmCluster, "client">, namespace: string, uid: string, reason?: string): Promise<coreV1Event.Event[]> {
  const list = await cluster.client.list(eventKind, { namespace });
  return (list.items as coreV1Event.Event[])
    .filter((e) => e.involvedObject?.uid === uid && (reason === undefined || e.reason === reason))
    .sort((a, b) => a.firstTimestamp.localeCompare(b.firstTimestamp));
}
