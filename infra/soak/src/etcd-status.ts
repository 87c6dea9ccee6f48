// etcd's maintenance status, alarms and defragmentation through etcdctl (the documented operator tool), for the soak runs.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { etcdClientTls } from "@kubeplane/testing";

const execFileAsync = promisify(execFile);

/** One member's `etcdctl endpoint status`: its database file size and the part of it in use, in bytes. */
export interface MemberStatus {
  endpoint: string;
  dbSize: number;
  dbSizeInUse: number;
  revision: number;
  isLeader: boolean;
}

function tlsFlags(): string[] {
  const tls = etcdClientTls();
  return [`--cacert=${tls.caFile}`, `--cert=${tls.certFile}`, `--key=${tls.keyFile}`];
}

async function etcdctl(endpoints: string[], args: string[], timeoutMs = 60_000): Promise<string> {
  const { stdout } = await execFileAsync("etcdctl", [...tlsFlags(), `--endpoints=${endpoints.join(",")}`, "--command-timeout=50s", ...args], {
    env: { ...process.env, ETCDCTL_API: "3" },
    timeout: timeoutMs,
    maxBuffer: 16 << 20,
  });
  return stdout;
}

interface StatusJson {
  Endpoint: string;
  Status: { header: { member_id: number; revision: number }; leader: number; dbSize: number; dbSizeInUse?: number };
}

/** Each reachable member's status (unreachable members are left out). */
export async function endpointStatus(endpoints: string[]): Promise<MemberStatus[]> {
  const out: MemberStatus[] = [];
  for (const ep of endpoints) {
    const text = await etcdctl([ep], ["endpoint", "status", "-w", "json"], 10_000).catch(() => "");
    if (text === "") continue;
    for (const s of JSON.parse(text) as StatusJson[]) {
      out.push({
        endpoint: s.Endpoint,
        dbSize: s.Status.dbSize,
        dbSizeInUse: s.Status.dbSizeInUse ?? s.Status.dbSize,
        revision: s.Status.header.revision,
        isLeader: s.Status.leader === s.Status.header.member_id,
      });
    }
  }
  return out;
}

/** The cluster's raised alarms (`etcdctl alarm list`), one line each, e.g. "memberID:… alarm:NOSPACE"; empty when none. */
export async function alarmList(endpoints: string[]): Promise<string[]> {
  return (await etcdctl(endpoints, ["alarm", "list"])).split("\n").filter((l) => l.trim() !== "");
}

/** docs/operations.md's defragmentation step: one member at a time, followers first, the leader last. */
export async function defragment(endpoints: string[]): Promise<void> {
  const status = await endpointStatus(endpoints);
  const ordered = [...status.filter((s) => !s.isLeader), ...status.filter((s) => s.isLeader)];
  for (const s of ordered) await etcdctl([s.endpoint], ["defrag"], 300_000);
}

/** Bytes as MiB with one decimal. */
export const mib = (bytes: number): string => (bytes / 1048576).toFixed(1);
