// The soak's cluster: etcd ×3, NATS JetStream, apiserver ×2, scheduler, controller-manager ×2 and a simulated kubelet, each a process a fault can kill and restart on the same ports.
import { createTestCgroup, freePort, serviceEntry, startEtcd, startNats, startServiceProcess, type EtcdCluster, type NatsServer, type ServiceProcess, type TestCgroup } from "@kubeplane/testing";

/**
 * One service process that can be killed and started again with the same flags (its listeners on
 * the same ports, so clients given its address reconnect). Not safe for concurrent kill/start.
 */
export class Restartable {
  private proc: ServiceProcess | undefined;
  /** Output of the processes killed so far, each ended by a marker line. */
  private history = "";
  /** True while kill/start run: the supervisor leaves the process alone. */
  private busy = false;
  /** False between a kill and the next start: the supervisor restarts only a process that should run. */
  private wanted = false;
  private supervisor: NodeJS.Timeout | undefined;
  /** Times the process exited without being killed (a controller that lost its lease exits) and was started again. */
  unplannedExits = 0;

  constructor(
    readonly name: string,
    private readonly entry: string,
    private readonly flags: Record<string, string>,
    /** The cgroup v2 group every start of the process joins, so a Partitioner can isolate it. */
    readonly cgroup?: TestCgroup,
  ) {}

  /** Starts it with fixed gRPC and HTTP ports chosen at the first start; `isolatable` puts it in a cgroup v2 group of its own. */
  static async create(name: string, service: string, flags: Record<string, string>, opts: { isolatable?: boolean } = {}): Promise<Restartable> {
    const logLevel = process.env.SOAK_LOG_LEVEL ?? "warn";
    const cgroup = opts.isolatable ? await createTestCgroup(name) : undefined;
    const r = new Restartable(name, serviceEntry(service), { "grpc-listen": `127.0.0.1:${await freePort()}`, "http-listen": `127.0.0.1:${await freePort()}`, "log-level": logLevel, ...flags }, cgroup);
    try {
      await r.start();
    } catch (err) {
      await cgroup?.remove().catch(() => undefined);
      throw err;
    }
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
    this.busy = true;
    this.wanted = true;
    try {
      this.proc = await startServiceProcess({ entry: this.entry, flags: this.flags, readyTimeoutMs: 60_000, ...(this.cgroup ? { cgroup: this.cgroup } : {}) });
    } finally {
      this.busy = false;
    }
  }

  async kill(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    this.busy = true;
    this.wanted = false;
    try {
      const p = this.proc;
      this.proc = undefined;
      await p?.kill(signal);
      if (p) this.history += `${p.output()}\n----- ${this.name} killed (${signal}) at ${new Date().toISOString()} -----\n`;
    } finally {
      this.busy = false;
    }
  }

  /**
   * Restarts the process whenever it exits on its own, as systemd's Restart=always does in a
   * deployment (a controller-manager or scheduler that loses its lease exits so a fresh start
   * campaigns again). `onExit` hears each such exit. A start that failed (not ready within 60 s,
   * e.g. while its process is cut off) is tried again.
   */
  supervise(onExit: (r: Restartable) => void): void {
    this.supervisor = setInterval(() => {
      if (this.busy) return;
      if (this.proc === undefined) {
        if (this.wanted) void this.start().catch(() => undefined);
        return;
      }
      const pid = this.proc.pid;
      if (alive(pid)) return;
      this.unplannedExits++;
      onExit(this);
      const p = this.proc!;
      this.proc = undefined;
      this.history += `${p.output()}\n----- ${this.name} exited on its own at ${new Date().toISOString()} -----\n`;
      void this.start().catch(() => undefined);
    }, 500);
  }

  /** Ends supervision (before the final stop). */
  unsupervise(): void {
    clearInterval(this.supervisor);
  }

  /** Kills the process (SIGTERM) and removes its cgroup. */
  async stop(): Promise<void> {
    this.unsupervise();
    await this.kill("SIGTERM").catch(() => undefined);
    await this.cgroup?.remove().catch(() => undefined);
  }

  /** Every process's stdout and stderr so far, the killed ones first. */
  output(): string {
    return this.history + (this.proc?.output() ?? "");
  }
}

/** True while a process with `pid` exists (signal 0 only checks). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
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
  /** Every service process (apiservers, scheduler, controller-managers, kubelet). */
  services: Restartable[];
  stop(): Promise<void>;
}

export interface SoakClusterOptions {
  simulatedNodes: number;
  /** The simulated nodes' name prefix (the kubelet names them <prefix>-0, <prefix>-1, …). */
  nodePrefix: string;
  /** Extra apiserver flags (compaction interval, watch history). */
  apiserverFlags?: Record<string, string>;
  /** Extra controller-manager flags (node monitor grace period). */
  controllerManagerFlags?: Record<string, string>;
  /** Extra flags of the simulating kubelet (lease renew interval). */
  kubeletFlags?: Record<string, string>;
}

/** Starts everything; on a failure part-way, stops what had started and rethrows. */
export async function startSoakCluster(opts: SoakClusterOptions): Promise<SoakCluster> {
  const started: Restartable[] = [];
  const [etcd, nats] = await Promise.all([startEtcd({ members: 3, name: "soak-etcd" }), startNats()]);
  const stop = async (): Promise<void> => {
    for (const r of started) r.unsupervise();
    for (const r of started.reverse()) await r.stop();
    await Promise.allSettled([etcd.stop(), nats.stop()]);
  };
  try {
    // The scheduler and controller-managers run in cgroups of their own: a partition fault isolates one.
    const add = async (name: string, service: string, flags: Record<string, string>, isolatable = false): Promise<Restartable> => {
      const r = await Restartable.create(name, service, flags, { isolatable });
      started.push(r);
      return r;
    };
    const apiFlags = { "etcd-endpoints": etcd.endpoints.join(","), "nats-url": nats.url, ...opts.apiserverFlags };
    const apiservers = [await add("apiserver-0", "apiserver", { ...apiFlags, identity: "apiserver-0" }), await add("apiserver-1", "apiserver", { ...apiFlags, identity: "apiserver-1" })];
    const apiserverTarget = apiservers.map((a) => a.grpcAddress).join(",");
    const common = { apiserver: apiserverTarget, "nats-url": nats.url };
    // Leader election with the deployments' timings (15 s lease, 10 s renew deadline): a killed leader's standby takes over within 15 s.
    const scheduler = await add("scheduler", "scheduler", { ...common }, true);
    const cmFlags = { ...common, ...opts.controllerManagerFlags };
    const controllerManagers = [
      await add("controller-manager-0", "controller-manager", { ...cmFlags, identity: "controller-manager-0" }, true),
      await add("controller-manager-1", "controller-manager", { ...cmFlags, identity: "controller-manager-1" }, true),
    ];
    const kubelet = await add("kubelet", "kubelet", { ...common, simulate: String(opts.simulatedNodes), "simulate-prefix": opts.nodePrefix, ...opts.kubeletFlags });
    return { etcd, nats, apiservers, scheduler, controllerManagers, kubelet, apiserverTarget, services: [...started], stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
