// The soak's fault injector: kills and restarts etcd members, NATS, an apiserver, the scheduler, a controller-manager and both kubelets, and partitions links with nftables (apiserver ↔ an etcd member, the real kubelet ↔ the control plane, the leading controller-manager and the scheduler ↔ everything); measures the API's write unavailability around each fault.
import { kindFor, type KindInfo } from "@kubeplane/api";
import type { ApiClient } from "@kubeplane/client";
import type { Cut, Partitioner } from "@kubeplane/testing";
import type { RealNode } from "./real-node.js";
import type { Restartable, SoakCluster } from "./soak-cluster.js";
import { pause, progress } from "./run-support.js";

export const KILL_KINDS = ["etcd-member", "etcd-leader", "nats", "apiserver", "scheduler", "controller-manager", "kubelet", "node-kubelet"] as const;
export const CUT_KINDS = ["cut-etcd-member", "cut-node-kubelet", "cut-cm-leader", "cut-scheduler"] as const;
export const FAULT_KINDS = [...KILL_KINDS, ...CUT_KINDS] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

type Json = Record<string, unknown>;
const leases = kindFor("coordination.k8s.io/v1", "Lease") as KindInfo;
const nodes = kindFor("v1", "Node") as KindInfo;
const pods = kindFor("v1", "Pod") as KindInfo;

/**
 * Per fault kind: how many were injected, the longest down (or cut) time, the longest time without
 * an acknowledged write around one, and the longest recovery after it was healed (a cut kubelet's
 * node Ready again; a cut controller-manager or scheduler: its lease renewed by a leader).
 */
export interface FaultRecord {
  count: number;
  worstDownMs: number;
  worstWriteGapMs: number;
  worstRecoveryMs: number;
}

/** What a cut of the real kubelet did: the node went Unknown after `unknownAfterMs` (undefined: not within the cut), pods evicted. */
export interface NodeCutRecord {
  heldMs: number;
  unknownAfterMs: number | undefined;
  evicted: number;
  readyAfterHealMs: number | undefined;
}

export interface FaultTargets {
  cluster: SoakCluster;
  node: RealNode;
  partitioner: Partitioner;
  /** A client for leases, nodes and pods (through both apiservers). */
  client: ApiClient;
  /** The namespace of the real node's workload (its evictable pods are counted during a cut). */
  nodeNamespace: string;
  /** The controller-managers' node monitor grace period (a kubelet cut is held past it). */
  nodeGraceMs: number;
}

const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)]!;
const shuffled = <T>(xs: readonly T[]): T[] => [...xs].sort(() => Math.random() - 0.5);

/** Every kind once, shuffled, the cuts spread among the kills (injected as a cut, two kills, a cut, …; popped from the end). */
function shuffledRound(): FaultKind[] {
  const kills: FaultKind[] = shuffled(KILL_KINDS);
  const cuts: FaultKind[] = shuffled(CUT_KINDS);
  const out: FaultKind[] = [];
  while (kills.length > 0 || cuts.length > 0) {
    if (cuts.length > 0) out.push(cuts.pop()!);
    out.push(...kills.splice(0, 2));
  }
  return out.reverse();
}
const between = (lo: number, hi: number): number => lo + Math.random() * (hi - lo);
const portOf = (url: string): number => Number(new URL(url).port);

/**
 * Injects one fault at a time, the kinds in shuffled rounds so each gets its share. A kill: the
 * target is killed (SIGKILL; NATS every other time SIGTERM), left down 2–6 s, then started again
 * and awaited. A cut: nftables drop its traffic for a bounded time, then heal. `lastAckAt` gives
 * the write ledger's latest acknowledgement; the gap is sampled from the fault until 5 s after
 * it ended.
 */
export class FaultInjector {
  readonly records = new Map<FaultKind, FaultRecord>(FAULT_KINDS.map((k) => [k, { count: 0, worstDownMs: 0, worstWriteGapMs: 0, worstRecoveryMs: 0 }]));
  readonly nodeCuts: NodeCutRecord[] = [];
  /** Things a fault should have caused and did not (a cut node never Unknown, a node not Ready after healing). */
  readonly violations: string[] = [];
  private natsKills = 0;

  constructor(
    private readonly targets: FaultTargets,
    private readonly lastAckAt: () => number,
  ) {}

  get total(): number {
    return [...this.records.values()].reduce((a, r) => a + r.count, 0);
  }

  /** Injects faults every `pauseMs` (after the previous one recovered) until `signal` aborts; every component is running and every cut healed when it resolves. */
  async run(pauseMs: number, signal: AbortSignal): Promise<void> {
    // The first round starts with the real node's cut and kill and the etcd member's cut, so a short run (SOAK_S=180 fits ~8 faults at load 30) has them.
    const first: FaultKind[] = ["cut-node-kubelet", "node-kubelet", "cut-etcd-member"];
    let round: FaultKind[] = [...shuffledRound().filter((k) => !first.includes(k)), ...first.reverse()];
    while (!signal.aborted) {
      await pause(pauseMs, signal);
      if (signal.aborted) break;
      if (round.length === 0) round = shuffledRound();
      await this.inject(round.pop()!);
    }
  }

  private async inject(kind: FaultKind): Promise<void> {
    const started = performance.now();
    let worstGap = 0;
    const sampler = setInterval(() => (worstGap = Math.max(worstGap, performance.now() - this.lastAckAt())), 100);
    try {
      const { target, recoveryMs } = kind.startsWith("cut-") ? await this.cut(kind) : await this.kill(kind);
      const down = performance.now() - started - recoveryMs;
      progress(`fault ${kind}: ${target} ${kind.startsWith("cut-") ? "cut off" : "down"} ${(down / 1000).toFixed(1)} s, back${recoveryMs > 0 ? `; recovered ${(recoveryMs / 1000).toFixed(1)} s after` : ""}`);
      await pause(5000);
      const rec = this.records.get(kind)!;
      rec.count++;
      rec.worstDownMs = Math.max(rec.worstDownMs, down);
      rec.worstWriteGapMs = Math.max(rec.worstWriteGapMs, worstGap);
      rec.worstRecoveryMs = Math.max(rec.worstRecoveryMs, recoveryMs);
    } finally {
      clearInterval(sampler);
    }
  }

  private async kill(kind: FaultKind): Promise<{ target: string; recoveryMs: number }> {
    const { cluster, node } = this.targets;
    const downMs = between(2000, 6000);
    switch (kind) {
      case "etcd-member":
      case "etcd-leader": {
        const leader = await cluster.etcd.leader();
        const member = kind === "etcd-leader" ? leader : pick(cluster.etcd.members.filter((m) => m !== leader));
        await member.kill("SIGKILL");
        await pause(downMs);
        await member.restart();
        return { target: member.name, recoveryMs: 0 };
      }
      case "nats": {
        const signal = this.natsKills++ % 2 === 0 ? "SIGKILL" : "SIGTERM";
        await cluster.nats.kill(signal);
        await pause(downMs);
        await cluster.nats.restart();
        return { target: `nats (${signal})`, recoveryMs: 0 };
      }
      default: {
        const r =
          kind === "apiserver"
            ? pick(cluster.apiservers)
            : kind === "controller-manager"
              ? pick(cluster.controllerManagers)
              : kind === "scheduler"
                ? cluster.scheduler
                : kind === "node-kubelet"
                  ? node.kubelet
                  : cluster.kubelet;
        await r.kill("SIGKILL");
        await pause(downMs);
        await r.start();
        return { target: r.name, recoveryMs: 0 };
      }
    }
  }

  private async cut(kind: FaultKind): Promise<{ target: string; recoveryMs: number }> {
    const { cluster, node, partitioner } = this.targets;
    let cut: Cut | undefined;
    try {
      switch (kind) {
        case "cut-etcd-member": {
          // Both apiservers lose one member's client port (its peers keep it in the raft group).
          const member = pick(cluster.etcd.members);
          cut = await partitioner.cut([portOf(member.clientUrl)]);
          await pause(between(5000, 10_000));
          await cut.heal();
          return { target: `apiservers ↔ ${member.name}`, recoveryMs: 0 };
        }
        case "cut-node-kubelet":
          return await this.cutNode();
        case "cut-cm-leader":
        case "cut-scheduler": {
          const leaseName = kind === "cut-scheduler" ? "kube-scheduler" : "kube-controller-manager";
          const holder = await this.leaseHolder(leaseName);
          const r: Restartable = kind === "cut-scheduler" ? cluster.scheduler : (cluster.controllerManagers.find((c) => c.name === holder) ?? pick(cluster.controllerManagers));
          // Past the 10 s renew deadline at times: the leader then steps down (and exits; the supervisor restarts it).
          cut = await partitioner.isolate(r.cgroup!);
          await pause(between(6000, 16_000));
          await cut.heal();
          const healedAt = Date.now();
          const recoveryMs = await this.until(async () => {
            const lease = await this.targets.client.json.get(leases, "kube-system", leaseName);
            return Date.parse(String(((lease.spec ?? {}) as Json).renewTime ?? "")) > healedAt;
          }, 90_000);
          if (recoveryMs === undefined) this.violations.push(`${leaseName}: no leader renewed the lease within 90 s of healing the cut of ${r.name}`);
          return { target: `${r.name}${holder === r.name ? " (leader)" : ""} ↔ everything`, recoveryMs: recoveryMs ?? 90_000 };
        }
        default:
          throw new Error(`not a cut: ${kind}`);
      }
    } finally {
      await cut?.heal();
    }
  }

  /**
   * Cuts the real kubelet off (everything its process sends or receives) until its node is
   * Unknown and its evictable pods are marked for deletion (at most grace + 45 s), then heals and
   * waits for Ready.
   */
  private async cutNode(): Promise<{ target: string; recoveryMs: number }> {
    const { node, partitioner, client, nodeNamespace, nodeGraceMs } = this.targets;
    const cut = await partitioner.isolate(node.kubelet.cgroup!);
    const cutAt = performance.now();
    let unknownAfterMs: number | undefined;
    let evicted = 0;
    try {
      unknownAfterMs = await this.until(async () => (await this.readyOf(node.name)) === "Unknown", nodeGraceMs + 30_000);
      if (unknownAfterMs !== undefined) {
        // The evictable pods tolerate unreachable for 2 s; then the controller-manager evicts them.
        await this.until(async () => {
          const list = (await client.json.list(pods, { namespace: nodeNamespace, labelSelector: "app=evictable" })).items;
          evicted = list.filter((p) => (p.metadata as Json).deletionTimestamp).length;
          return list.length > 0 && list.filter((p) => ((p.spec ?? {}) as Json).nodeName === node.name).every((p) => (p.metadata as Json).deletionTimestamp);
        }, 20_000);
      } else {
        this.violations.push(`node ${node.name} not Unknown within ${((nodeGraceMs + 30_000) / 1000).toFixed(0)} s of cutting its kubelet off`);
      }
    } finally {
      await cut.heal();
    }
    const heldMs = performance.now() - cutAt;
    const readyAfterHealMs = await this.until(async () => (await this.readyOf(node.name)) === "True", 120_000);
    if (readyAfterHealMs === undefined) this.violations.push(`node ${node.name} not Ready within 120 s of healing its cut`);
    this.nodeCuts.push({ heldMs, unknownAfterMs, evicted, readyAfterHealMs });
    return { target: `${node.name}'s kubelet ↔ everything (Unknown after ${unknownAfterMs === undefined ? "never" : `${(unknownAfterMs / 1000).toFixed(1)} s`}, ${evicted} pods evicted)`, recoveryMs: readyAfterHealMs ?? 120_000 };
  }

  private async readyOf(name: string): Promise<string | undefined> {
    const n = await this.targets.client.json.get(nodes, "", name);
    return (((n.status ?? {}) as Json).conditions as Json[] | undefined)?.find((c) => c.type === "Ready")?.status as string | undefined;
  }

  private async leaseHolder(name: string): Promise<string | undefined> {
    const lease = await this.targets.client.json.get(leases, "kube-system", name).catch(() => undefined);
    return ((lease?.spec ?? {}) as Json).holderIdentity as string | undefined;
  }

  /** Milliseconds until `cond` holds (polled every 500 ms, errors count as not yet), or undefined after `timeoutMs`. */
  private async until(cond: () => Promise<boolean>, timeoutMs: number): Promise<number | undefined> {
    const start = performance.now();
    while (performance.now() - start < timeoutMs) {
      if (await cond().catch(() => false)) return performance.now() - start;
      await pause(500);
    }
    return undefined;
  }
}
