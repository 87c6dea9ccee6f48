// What the host tells the kubelet about itself: capacity (cpu, memory, ephemeral-storage, pods), system info and addresses.
import { readFile, statfs } from "node:fs/promises";
import { availableParallelism, hostname as osHostname, networkInterfaces, platform, release } from "node:os";
import { isIP } from "node:net";
import { dirname } from "node:path";
import { quantityFromBytes, type coreV1Node } from "@kubeplane/api";

type NodeSystemInfo = coreV1Node.NodeSystemInfo;
type NodeAddress = coreV1Node.NodeAddress;

/** Kubernetes' default --max-pods. */
export const DEFAULT_MAX_PODS = 110;

/** A resource list (name → quantity string), as in NodeStatus.capacity. */
export type ResourceList = Record<string, string>;

/** What `readHostInfo` needs; everything but the versions has a default read from the host. */
export interface HostInfoOptions {
  /** The kubelet's root directory: ephemeral-storage is the size of the filesystem holding it. */
  rootDir: string;
  /** pods capacity (--max-pods); default 110. */
  maxPods?: number;
  /** The addresses reported as InternalIP (one per family, see parseNodeIps); default the first non-internal IPv4 of the host. */
  nodeIps?: readonly string[];
  /** The Hostname address; default the OS host name. */
  hostname?: string;
  kubeletVersion: string;
  /** e.g. "containerd://1.6.20", from the runtime's Version. */
  containerRuntimeVersion: string;
}

/** The node's description as the host gives it. */
export interface HostInfo {
  capacity: ResourceList;
  nodeInfo: NodeSystemInfo;
  addresses: NodeAddress[];
}

/** Reads capacity, system info and addresses from the host (/proc, /etc, statfs, os). */
export async function readHostInfo(opts: HostInfoOptions): Promise<HostInfo> {
  const [memoryBytes, storageBytes, osImage, machineId, bootId, systemUuid] = await Promise.all([
    memTotalBytes(),
    filesystemBytes(opts.rootDir),
    readOsImage(),
    readTrimmed("/etc/machine-id"),
    readTrimmed("/proc/sys/kernel/random/boot_id"),
    readTrimmed("/sys/class/dmi/id/product_uuid"),
  ]);
  const capacity: ResourceList = {
    cpu: String(availableParallelism()),
    memory: quantityFromBytes(memoryBytes).toString(),
    "ephemeral-storage": quantityFromBytes(storageBytes).toString(),
    pods: String(opts.maxPods ?? DEFAULT_MAX_PODS),
  };
  const nodeInfo: NodeSystemInfo = {
    machineId,
    systemUuid,
    bootId,
    kernelVersion: release(),
    osImage,
    containerRuntimeVersion: opts.containerRuntimeVersion,
    kubeletVersion: opts.kubeletVersion,
    kubeProxyVersion: "",
    operatingSystem: platform(),
    architecture: goArch(process.arch),
  };
  const addresses: NodeAddress[] = [
    ...(opts.nodeIps?.length ? opts.nodeIps : [firstExternalIPv4() ?? "127.0.0.1"]).map((address) => ({ type: "InternalIP", address })),
    { type: "Hostname", address: opts.hostname ?? osHostname() },
  ];
  return { capacity, nodeInfo, addresses };
}

/** Node's process.arch in Go's GOARCH spelling, as Kubernetes labels and reports it. */
export function goArch(arch: string): string {
  const names: Record<string, string> = { x64: "amd64", ia32: "386", arm64: "arm64", arm: "arm", ppc64: "ppc64le", s390x: "s390x" };
  return names[arch] ?? arch;
}

/**
 * Parses --node-ip as the kubelet does: one address, or two of different families separated by a
 * comma (dual stack, e.g. "10.0.0.5,fd00::5"); the first is the primary (hostIP, serving
 * certificate), each is reported as an InternalIP. Throws on anything else.
 */
export function parseNodeIps(value: string): string[] {
  const ips = value.split(",").map((s) => s.trim());
  for (const ip of ips) if (!isIP(ip)) throw new Error(`node-ip: "${ip}" is not an IP address`);
  if (ips.length > 2) throw new Error(`node-ip: at most one IPv4 and one IPv6 address, got "${value}"`);
  if (ips.length === 2 && isIP(ips[0]!) === isIP(ips[1]!)) throw new Error(`node-ip: "${value}" must name one address of each family`);
  return ips;
}

/** The first IPv4 address of a non-loopback interface, if any. */
export function firstExternalIPv4(): string | undefined {
  for (const addrs of Object.values(networkInterfaces())) {
    const found = addrs?.find((a) => a.family === "IPv4" && !a.internal);
    if (found) return found.address;
  }
  return undefined;
}

/** MemTotal from /proc/meminfo, in bytes. */
async function memTotalBytes(): Promise<number> {
  const text = await readFile("/proc/meminfo", "utf8");
  const kib = /^MemTotal:\s+(\d+)\s+kB/m.exec(text)?.[1];
  if (kib === undefined) throw new Error("no MemTotal in /proc/meminfo");
  return Number(kib) * 1024;
}

/** The size of the filesystem holding `dir` (its nearest existing ancestor when it does not exist yet). */
async function filesystemBytes(dir: string): Promise<number> {
  for (let path = dir; ; path = dirname(path)) {
    try {
      const fs = await statfs(path);
      return fs.blocks * fs.bsize;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT" || dirname(path) === path) throw err;
    }
  }
}

/** PRETTY_NAME of /etc/os-release, as Kubernetes reports osImage ("Debian GNU/Linux 12 (bookworm)"). */
async function readOsImage(): Promise<string> {
  const text = await readFile("/etc/os-release", "utf8").catch(() => "");
  const value = /^PRETTY_NAME=(.*)$/m.exec(text)?.[1]?.trim() ?? "";
  return value.replace(/^"(.*)"$/, "$1") || "Unknown";
}

/** A one-line file's content, "" when it cannot be read (e.g. no DMI in a VM, not root). */
async function readTrimmed(path: string): Promise<string> {
  return (await readFile(path, "utf8").catch(() => "")).trim();
}
