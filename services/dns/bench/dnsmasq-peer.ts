// The DNS bench's peer: dnsmasq (Debian dnsmasq-base) serving the same names as the dns service, from a hosts file and srv-host lines.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createSocket } from "node:dgram";
import { processCpuSeconds, waitFor } from "@kubeplane/testing";

/** Whether a DNS server on 127.0.0.1:`port` answers a query within 200 ms. */
async function answers(port: number): Promise<boolean> {
  const socket = createSocket("udp4");
  try {
    // A query for "." type SOA, id 1, no flags.
    const query = Buffer.from([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 6, 0, 1]);
    const answered = Promise.race([once(socket, "message").then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 200))]);
    socket.send(query, port, "127.0.0.1");
    return await answered;
  } finally {
    socket.close();
  }
}

/** The records to serve: A records (several per name for headless Services) and SRV records. */
export interface PeerRecords {
  a: Array<{ name: string; address: string }>;
  srv: Array<{ name: string; target: string; port: number }>;
}

/** A running dnsmasq. */
export interface DnsmasqPeer {
  readonly pid: number;
  cpuSeconds(): Promise<number>;
  stop(): Promise<void>;
}

/** Starts dnsmasq on 127.0.0.1:`port` answering `records` authoritatively for `zone` (nothing forwarded), TTL `ttl`. */
export async function startDnsmasq(dir: string, port: number, zone: string, ttl: number, records: PeerRecords): Promise<DnsmasqPeer> {
  const hosts = join(dir, "hosts");
  const conf = join(dir, "dnsmasq.conf");
  await writeFile(hosts, records.a.map((r) => `${r.address} ${r.name}\n`).join(""));
  await writeFile(conf, records.srv.map((r) => `srv-host=${r.name},${r.target},${r.port},0,100\n`).join(""));
  const flags = [
    "--keep-in-foreground", "--no-resolv", "--no-hosts", "--no-poll", "--bind-interfaces", "--listen-address=127.0.0.1", `--port=${port}`,
    `--addn-hosts=${hosts}`, `--conf-file=${conf}`, `--local=/${zone}/`, `--local-ttl=${ttl}`, "--pid-file=", "--log-facility=/dev/null", "--user=root",
  ];
  // setpriv's parent-death signal: a bench that dies leaves no dnsmasq behind.
  const child = spawn("setpriv", ["--pdeathsig", "TERM", "--", "dnsmasq", ...flags], { stdio: ["ignore", "ignore", "inherit"] });
  const exited = once(child, "exit");
  await waitFor(() => (child.exitCode !== null ? Promise.reject(new Error(`dnsmasq exited (${child.exitCode})`)) : answers(port)), { timeoutMs: 10_000, message: "dnsmasq answering" });
  return {
    pid: child.pid!,
    cpuSeconds: () => processCpuSeconds(child.pid!),
    stop: async () => {
      child.kill("SIGTERM");
      await exited;
    },
  };
}
