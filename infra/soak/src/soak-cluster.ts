// The soak's cluster: etcd ×3, NATS JetStream, apiserver ×2, scheduler, controller-manager ×2 and a simulated kubelet, each a process a fault can kill and restart on the same ports.
import { freePort, serviceEntry, startEtcd, startNats, startServiceProcess, type EtcdCluster, type NatsServer, type ServiceProcess } from "@kubeplane/testing";

/**
 * One service process that can be killed and started again with the same flags (its listeners on
 * the same ports, so clients given its address reconnect). Not safe for concurrent kill/start.
 */
export class Restartable {
  private proc: ServiceProcess | undefined;

  constructor(
    readonly name: string,
    private readonly entry: string,
    private readonly flags: Record<string, string>,
  ) {}

  /** Starts it with fixed gRPC and HTTP ports chosen at the first start. */
  static async create(name: string, service: string, flags: Record<string, string>): Promise<Restartable> {
    const r = new Restartable(name, serviceEntry(service), { "grpc-listen": `127.0.0.1:${await freePort()}`, "http-listen": `127.0.0.1:${await freePort()}`, ...flags });
    await r.start();
    return r;
  }

  get grpcAddress(): string {
    return this.flags["grpc-listen"]!;
  }

  get running(): boolean {
    return this.proc !== undefined;
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  /** Starts the process and resolves once /readyz answers (60 s at most: the machine is shared). */
  async start(): Promise<void> {
    this.proc = await startServiceProcess({ entry: this.entry, flags: this.flags, readyTimeoutMs: 60_000 });
  }

  async kill(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    const p = this.proc;
    this.proc = undefined;
    await p?.kill(signal);
  }

  output(): string {
    return this.proc?.output() ?? "";
  }
}

export interface SoakCluster {
  etcd: EtcdCluster;
  nats: NatsServer;
  apiservers: Restartable[];
  scheduler: Restartable;
  controllerManagers: Restartable[];
  /** The kubelet process running the simulated nodes. */
  kubelet: Restartable;
  /** Both apiservers' gRPC addresses, comma-separated: every client fails over between them. */
  apiserverTarget: string;
  stop(): Promise<void>;
}

export interface SoakClusterOptions {
  simulatedNodes: number;
  /** The simulated nodes' name prefix. */
  nodePrefix: string;
  /** Extra apiserver flags (compaction interval, watch history). */
  apiserverFlags?: Record<string, string>;
}

/** Starts everything; on a failure part-way, stops what had started and rethrows. */
export async function startSoakCluster(opts: SoakClusterOptions): Promise<SoakCluster> {
  const started: Restartable[] = [];
  const [etcd, nats] = await Promise.all([startEtcd({ members: 3, name: "soak-etcd" }), startNats()]);
  const stop = async (): Promise<void> => {
    for (const r of started.reverse()) await r.kill("SIGTERM").catch(() => undefined);
    await Promise.allSettled([etcd.stop(), nats.stop()]);
  };
  try {
    const add = async (name: string, service: string, flags: Record<string, string>): Promise<Restartable> => {
      const r = await Restartable.create(name, service, flags);
      started.push(r);
      return r;
    };
    const apiFlags = { "etcd-endpoints": etcd.endpoints.join(","), "nats-url": nats.url, ...opts.apiserverFlags };
    const apiservers = [await add("apiserver-0", "apiserver", { ...apiFlags, identity: "apiserver-0" }), await add("apiserver-1", "apiserver", { ...apiFlags, identity: "apiserver-1" })];
    const apiserverTarget = apiservers.map((a) => a.grpcAddress).join(",");
    const common = { apiserver: apiserverTarget, "nats-url": nats.url };
    // Short leases so a killed leader's standby takes over within the soak's fault windows.
    const election = { "lease-duration": "6s", "renew-deadline": "4s", "retry-period": "1s" };
    const scheduler = await add("scheduler", "scheduler", { ...common, ...election });
    const controllerManagers = [
      await add("controller-manager-0", "controller-manager", { ...common, ...election, identity: "controller-manager-0" }),
      await add("controller-manager-1", "controller-manager", { ...common, ...election, identity: "controller-manager-1" }),
    ];
    const kubelet = await add("kubelet", "kubelet", { ...common, simulate: String(opts.simulatedNodes), "simulate-prefix": opts.nodePrefix });
    return { etcd, nats, apiservers, scheduler, controllerManagers, kubelet, apiserverTarget, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
