// The soak's fault injector: kills and restarts etcd members, NATS, an apiserver, the scheduler, a controller-manager and the kubelet in turn, and measures the API's write unavailability around each fault.
import type { SoakCluster } from "./soak-cluster.js";
import { pause, progress } from "./run-support.js";

export const FAULT_KINDS = ["etcd-member", "etcd-leader", "nats", "apiserver", "scheduler", "controller-manager", "kubelet"] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** Per fault kind: how many were injected, the longest down time injected, and the longest time without an acknowledged write around one. */
export interface FaultRecord {
  count: number;
  worstDownMs: number;
  worstWriteGapMs: number;
}

const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)]!;

/**
 * Injects one fault at a time, the kinds in shuffled rounds so each gets its share: the target is
 * killed (SIGKILL; NATS every other time SIGTERM), left down 2–6 s, then started again and awaited.
 * `lastAckAt` gives the write ledger's latest acknowledgement; the gap is sampled from the kill until
 * 5 s after the restart.
 */
export class FaultInjector {
  readonly records = new Map<FaultKind, FaultRecord>(FAULT_KINDS.map((k) => [k, { count: 0, worstDownMs: 0, worstWriteGapMs: 0 }]));
  private natsKills = 0;

  constructor(
    private readonly cluster: SoakCluster,
    private readonly lastAckAt: () => number,
  ) {}

  get total(): number {
    return [...this.records.values()].reduce((a, r) => a + r.count, 0);
  }

  /** Injects faults every `pauseMs` (after the previous one recovered) until `signal` aborts; every component is running when it resolves. */
  async run(pauseMs: number, signal: AbortSignal): Promise<void> {
    let round: FaultKind[] = [];
    while (!signal.aborted) {
      await pause(pauseMs, signal);
      if (signal.aborted) break;
      if (round.length === 0) round = [...FAULT_KINDS].sort(() => Math.random() - 0.5);
      await this.inject(round.pop()!);
    }
  }

  private async inject(kind: FaultKind): Promise<void> {
    const { cluster } = this;
    const downMs = 2000 + Math.random() * 4000;
    const started = performance.now();
    let worstGap = 0;
    const sampler = setInterval(() => (worstGap = Math.max(worstGap, performance.now() - this.lastAckAt())), 100);
    let target = "";
    try {
      switch (kind) {
        case "etcd-member":
        case "etcd-leader": {
          const leader = await cluster.etcd.leader();
          const member = kind === "etcd-leader" ? leader : pick(cluster.etcd.members.filter((m) => m !== leader));
          target = member.name;
          await member.kill("SIGKILL");
          await pause(downMs);
          await member.restart();
          break;
        }
        case "nats": {
          const signal = this.natsKills++ % 2 === 0 ? "SIGKILL" : "SIGTERM";
          target = `nats (${signal})`;
          await cluster.nats.kill(signal);
          await pause(downMs);
          await cluster.nats.restart();
          break;
        }
        default: {
          const r =
            kind === "apiserver" ? pick(cluster.apiservers) : kind === "controller-manager" ? pick(cluster.controllerManagers) : kind === "scheduler" ? cluster.scheduler : cluster.kubelet;
          target = r.name;
          await r.kill("SIGKILL");
          await pause(downMs);
          await r.start();
        }
      }
      const down = performance.now() - started;
      progress(`fault ${kind}: ${target} down ${(down / 1000).toFixed(1)} s, back`);
      await pause(5000);
      const rec = this.records.get(kind)!;
      rec.count++;
      rec.worstDownMs = Math.max(rec.worstDownMs, down);
      rec.worstWriteGapMs = Math.max(rec.worstWriteGapMs, worstGap);
    } finally {
      clearInterval(sampler);
    }
  }
}
