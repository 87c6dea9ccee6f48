// Starts a real etcd cluster (1 or 3 members) on free loopback ports for integration tests.
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ProcessStartError, WaitTimeoutError } from "./errors.js";
import { freePorts } from "./free-port.js";
import { httpProbe } from "./http-probe.js";
import { concatFiles, ManagedProcess, type ProcessExit } from "./managed-process.js";
import { trackDir, untrackDir } from "./process-registry.js";
import { awaitReady } from "./readiness.js";
import { createTestCgroup, type TestCgroup } from "./test-cgroup.js";
import { testPki, testPkiNow } from "./test-pki.js";
import { waitFor } from "./wait-for.js";

/** Options of `startEtcd`. */
export interface EtcdOptions {
  /** Cluster size. Default 1. */
  members?: 1 | 3;
  /** Prefix of member names and of the temp dir. Default "etcd". */
  name?: string;
  /** Runs each member in a cgroup of its own (EtcdMember.cgroup), so a Partitioner can isolate one. Default false. */
  cgroups?: boolean;
}

/** One etcd member process. Methods are not meant to be called concurrently on the same member. */
export interface EtcdMember {
  readonly name: string;
  /** `https://127.0.0.1:<port>`; stable across restarts. Clients need the etcd CA and the apiserver's etcd client certificate (see etcdClientTls). */
  readonly clientUrl: string;
  readonly peerUrl: string;
  readonly dataDir: string;
  /** False once the process has exited, whoever stopped it. */
  readonly running: boolean;
  /** Its cgroup when started with `cgroups: true`: every socket it opens belongs to it. */
  readonly cgroup: TestCgroup | undefined;
  /**
   * Sends `signal` (default SIGTERM, a graceful stop; pass SIGKILL to simulate a crash) and
   * resolves once the process has exited; a process that ignores SIGTERM gets SIGKILL after ~3 s.
   * A no-op on a stopped member.
   */
  kill(signal?: NodeJS.Signals): Promise<ProcessExit | undefined>;
  /**
   * Starts the member again (stopping it first if running) with the same data dir and ports and
   * `--initial-cluster-state existing`, and resolves once its `/health` is true, i.e. it has
   * rejoined a cluster with quorum. Throws ProcessStartError otherwise.
   */
  restart(): Promise<void>;
}

/**
 * A running etcd cluster on 127.0.0.1. Logs go to files in its temp dir, never to test output.
 * Call `stop()` in an `after` hook; every process is also killed if the test process exits.
 */
export interface EtcdCluster {
  /** Client URLs of all members, running or not, in member order. */
  readonly endpoints: string[];
  readonly members: EtcdMember[];
  /**
   * The member the running members agree is leader, polled for up to 10 s (an election may be in
   * progress). Throws WaitTimeoutError if no running member reports itself leader by then.
   */
  leader(): Promise<EtcdMember>;
  /**
   * Stops every member (followers, then the leader; SIGTERM, SIGKILL after ~3 s), then removes the
   * temp dir. Idempotent; concurrent calls share one stop.
   */
  stop(): Promise<void>;
  /** All members' log files concatenated, for failure diagnostics (empty after `stop()`). */
  logs(): string;
}

const READY_TIMEOUT_MS = 20_000;
const START_ATTEMPTS = 3;

/**
 * Starts `members` etcd processes forming one new cluster and resolves once every member's
 * `/health` reports true. Throws ProcessStartError (with the log tail) if a member exits or the
 * cluster is not healthy within 20 s; ports lost to another process are retried on fresh ones.
 */
export async function startEtcd(opts: EtcdOptions = {}): Promise<EtcdCluster> {
  await testPki();
  const size = opts.members ?? 1;
  const prefix = opts.name ?? "etcd";
  for (let attempt = 1; ; attempt++) {
    const dir = await mkdtemp(join(tmpdir(), `kubeplane-${prefix}-`));
    trackDir(dir);
    const ports = await freePorts(size * 2);
    const members = Array.from({ length: size }, (_, i) => new Member(`${prefix}-${i}`, dir, ports[2 * i]!, ports[2 * i + 1]!));
    const cluster = new Cluster(dir, members);
    if (opts.cgroups) for (const member of members) member.cgroup = await createTestCgroup(member.name);
    const initialCluster = members.map((m) => `${m.name}=${m.peerUrl}`).join(",");
    const token = `${prefix}-${randomUUID()}`;
    try {
      for (const member of members) member.spawn(initialCluster, token, "new");
      await awaitReady({
        what: `etcd cluster ${prefix} (${size} member${size === 1 ? "" : "s"})`,
        processes: members.map((m) => m.process!),
        logFiles: members.flatMap((m) => m.logFiles),
        probe: async () => (await Promise.all(members.map((m) => m.healthy()))).every(Boolean),
        timeoutMs: READY_TIMEOUT_MS,
      });
      return cluster;
    } catch (error) {
      await cluster.stop();
      if (!(error instanceof ProcessStartError && error.addressInUse && attempt < START_ATTEMPTS)) throw error;
    }
  }
}

class Member implements EtcdMember {
  readonly clientUrl: string;
  readonly peerUrl: string;
  readonly dataDir: string;
  readonly logFiles: readonly string[];
  process: ManagedProcess | undefined;
  cgroup: TestCgroup | undefined;
  #initialCluster = "";
  #token = "";

  constructor(
    readonly name: string,
    dir: string,
    clientPort: number,
    peerPort: number,
  ) {
    this.clientUrl = `https://127.0.0.1:${clientPort}`;
    this.peerUrl = `https://127.0.0.1:${peerPort}`;
    this.dataDir = join(dir, name);
    // etcd writes its zap log to the first file; the second catches anything printed before the logger exists.
    this.logFiles = [join(dir, `${name}.log`), join(dir, `${name}.stdio.log`)];
  }

  get running(): boolean {
    return this.process?.running ?? false;
  }

  spawn(initialCluster: string, token: string, state: "new" | "existing"): void {
    this.#initialCluster = initialCluster;
    this.#token = token;
    const args = [
      `--name=${this.name}`,
      `--data-dir=${this.dataDir}`,
      `--listen-client-urls=${this.clientUrl}`,
      `--advertise-client-urls=${this.clientUrl}`,
      `--listen-peer-urls=${this.peerUrl}`,
      `--initial-advertise-peer-urls=${this.peerUrl}`,
      `--initial-cluster=${initialCluster}`,
      `--initial-cluster-state=${state}`,
      `--initial-cluster-token=${token}`,
      // Fast elections keep failover tests short; loopback latency makes them safe.
      ...etcdTlsFlags(),
      "--heartbeat-interval=50",
      "--election-timeout=500",
      "--logger=zap",
      `--log-outputs=${this.logFiles[0]!}`,
    ];
    const argv = this.cgroup ? this.cgroup.wrap("etcd", args) : { command: "etcd", args };
    this.process = new ManagedProcess(argv.command, argv.args, this.logFiles[1]!);
  }

  async healthy(): Promise<boolean> {
    if (!this.running) return true; // only running members are expected to be healthy
    const res = await httpProbe("GET", `${this.clientUrl}/health`, undefined, 1_000, etcdClientTls());
    return res.status === 200 && (res.body as { health?: unknown }).health === "true";
  }

  /** This member's view of the cluster: its own member id and the leader's, or undefined if unreachable. */
  async status(): Promise<{ memberId: string; leaderId: string } | undefined> {
    if (!this.running) return undefined;
    try {
      const res = await httpProbe("POST", `${this.clientUrl}/v3/maintenance/status`, {}, 1_000, etcdClientTls());
      const body = res.body as { header?: { member_id?: string }; leader?: string };
      if (res.status !== 200 || !body.header?.member_id || !body.leader) return undefined;
      return { memberId: body.header.member_id, leaderId: body.leader };
    } catch {
      return undefined;
    }
  }

  async kill(signal: NodeJS.Signals = "SIGTERM"): Promise<ProcessExit | undefined> {
    return this.process?.kill(signal);
  }

  async restart(): Promise<void> {
    await this.kill();
    this.spawn(this.#initialCluster, this.#token, "existing");
    await awaitReady({
      what: `etcd member ${this.name}`,
      processes: [this.process!],
      logFiles: this.logFiles,
      probe: () => this.healthy(),
      timeoutMs: READY_TIMEOUT_MS,
    });
  }
}

/** The TLS flags of a test etcd member: client and peer TLS with client-certificate authentication, one member certificate. */
function etcdTlsFlags(): string[] {
  const pki = testPkiNow();
  const member = pki.files("etcd-test");
  return [
    `--cert-file=${member.certFile}`,
    `--key-file=${member.keyFile}`,
    `--trusted-ca-file=${pki.etcdCaFile}`,
    "--client-cert-auth",
    `--peer-cert-file=${member.certFile}`,
    `--peer-key-file=${member.keyFile}`,
    `--peer-trusted-ca-file=${pki.etcdCaFile}`,
    "--peer-client-cert-auth",
  ];
}

/**
 * The files an etcd client of the test cluster uses: etcd's CA and the apiserver's etcd client
 * certificate (the only identity etcd lets in). Available once a test etcd has started.
 */
export function etcdClientTls(): { caFile: string; certFile: string; keyFile: string } {
  return testPkiNow().files("apiserver-etcd-client");
}

/** etcdClientTls as the PEM buffers etcd3's `credentials` (and EtcdStore's `tls`) take. */
export function etcdCredentials(): { rootCertificate: Buffer; certChain: Buffer; privateKey: Buffer } {
  const files = etcdClientTls();
  return { rootCertificate: readFileSync(files.caFile), certChain: readFileSync(files.certFile), privateKey: readFileSync(files.keyFile) };
}

/** etcdClientTls as the PEM buffers EtcdStore's `tls` option takes. */
export function etcdStoreTls(): { ca: Buffer; cert: Buffer; key: Buffer } {
  const c = etcdCredentials();
  return { ca: c.rootCertificate, cert: c.certChain, key: c.privateKey };
}

/** Waits (up to ~2 s, about four election timeouts) until `member` no longer reports itself leader. */
async function awaitStepDown(member: Member): Promise<void> {
  try {
    await waitFor(
      async () => {
        const status = await member.status();
        return status === undefined || status.memberId !== status.leaderId;
      },
      { timeoutMs: 2_000, intervalMs: 50, message: `${member.name} to step down` },
    );
  } catch (error) {
    // Still leader: stopping it anyway only costs the SIGKILL grace period.
    if (!(error instanceof WaitTimeoutError)) throw error;
  }
}

class Cluster implements EtcdCluster {
  readonly endpoints: string[];
  #stopped: Promise<void> | undefined;

  constructor(
    readonly dir: string,
    readonly members: Member[],
  ) {
    this.endpoints = members.map((m) => m.clientUrl);
  }

  leader(): Promise<EtcdMember> {
    return waitFor(() => this.#currentLeader(), {
      timeoutMs: 10_000,
      intervalMs: 50,
      message: "a running etcd member to report itself leader",
    });
  }

  stop(): Promise<void> {
    this.#stopped ??= (async () => {
      // A leader stopped gracefully first hands leadership to a follower it believes alive, and a
      // follower that exited a moment ago still looks alive: the hand-off then stalls until SIGKILL.
      // So stop the followers, wait for the leader to lose quorum and step down, then stop it.
      const leader = await this.#currentLeader();
      const followers = this.members.filter((m) => m !== leader);
      await Promise.all(followers.map((m) => m.kill()));
      if (leader && followers.length > 0) await awaitStepDown(leader);
      await leader?.kill();
      await Promise.allSettled(this.members.map((m) => m.cgroup?.remove()));
      await rm(this.dir, { recursive: true, force: true });
      untrackDir(this.dir);
    })();
    return this.#stopped;
  }

  logs(): string {
    return concatFiles(this.members.flatMap((m) => m.logFiles));
  }

  /** The running member that reports itself leader right now, if any. */
  async #currentLeader(): Promise<Member | undefined> {
    const statuses = await Promise.all(this.members.map((m) => m.status()));
    return this.members.find((_, i) => statuses[i] !== undefined && statuses[i].memberId === statuses[i].leaderId);
  }
}
