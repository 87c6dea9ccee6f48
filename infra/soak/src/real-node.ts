// The soak's real node: a registry with busybox, containerd (runc, CNI bridge) and a kubelet in a cgroup of its own, inside the soak's network namespace; the containers it runs, sampled through containerd, and what it leaves behind.
import { execFile } from "node:child_process";
import { mkdtemp, readdir, rm, rmdir, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { buildBusyboxImage, pushImage, removeCgroupTrees, startContainerd, startNatsAuthorizer, startRegistry, waitFor, type Containerd, type ServiceProcess } from "@kubeplane/testing";
import type { SoakCluster } from "./soak-cluster.js";
import { Restartable } from "./soak-cluster.js";

const execFileAsync = promisify(execFile);

/** The real node's taint: only the soak's node workload tolerates it (the other workloads' images exist nowhere). */
export const REAL_NODE_TAINT = { key: "soak.kubeplane.io/real-node", value: "true", effect: "NoSchedule" } as const;
/** The real node's label, selected by the node workload. */
export const REAL_NODE_LABEL = { key: "soak.kubeplane.io/real-node", value: "true" } as const;

/** One container or sandbox in containerd's CRI namespace, as the sampler saw it. */
export interface CriContainer {
  id: string;
  kind: "sandbox" | "container";
  podUid: string;
  podName: string;
  /** The container's name (empty for a sandbox). */
  name: string;
}

export interface RealNode {
  readonly name: string;
  readonly kubelet: Restartable;
  readonly containerd: Containerd;
  /** The kubelet's cgroup root (one directory per hierarchy under /sys/fs/cgroup). */
  readonly cgroupRoot: string;
  /** The kubelet's root dir (pods/, cni/ IPAM state). */
  readonly rootDir: string;
  /** Every container and sandbox containerd has now, with their pods' labels; and which ones run. */
  list(): Promise<{ all: CriContainer[]; running: Set<string> }>;
  /** Kills the kubelet, removes every container and sandbox, stops containerd, the registry and the authorizer, removes the cgroups and dirs. Idempotent. */
  stop(): Promise<void>;
}

export interface RealNodeOptions {
  name: string;
  podCidr: string;
  /** More kubelet flags (without dashes). */
  kubeletFlags?: Record<string, string>;
}

/**
 * Starts a registry holding busybox (docker.io is mirrored to it), containerd and a kubelet
 * registered as `opts.name` with the real-node label and taint, plus the nats-authorizer that gives
 * the node its NATS user. The kubelet is a Restartable in a cgroup of its own (faults kill and
 * isolate it). Run inside the soak's network namespace.
 */
export async function startRealNode(cluster: SoakCluster, opts: RealNodeOptions): Promise<RealNode> {
  const dir = await mkdtemp(join(tmpdir(), `kp-soak-${opts.name}-`));
  const cleanups: Array<() => Promise<unknown>> = [() => rm(dir, { recursive: true, force: true })];
  const cgroupRoot = `/kubeplane-soak-${process.pid}-${opts.name}`;
  const undo = async (): Promise<void> => {
    for (const c of cleanups.splice(0)) await c().catch(() => undefined);
  };
  try {
    const [registry, image] = await Promise.all([startRegistry(), buildBusyboxImage()]);
    cleanups.unshift(() => registry.stop(), () => image.remove());
    await pushImage(registry.host, image.dir, "library/busybox:1.36");
    const containerd = await startContainerd({ mirrors: { "docker.io": registry.host }, plainHttpRegistries: [registry.host] });
    cleanups.unshift(() => containerd.stop());
    cleanups.push(() => removeCgroupTrees(cgroupRoot));
    const authorizer: ServiceProcess = await startNatsAuthorizer(cluster.nats, cluster.apiserverTarget);
    cleanups.unshift(() => authorizer.kill());
    const rootDir = join(dir, "kubelet");
    const kubelet = await Restartable.create(
      opts.name,
      "kubelet",
      {
        apiserver: cluster.apiserverTarget,
        "nats-url": cluster.nats.url,
        "node-name": opts.name,
        "node-ip": "127.0.0.1",
        "node-labels": `${REAL_NODE_LABEL.key}=${REAL_NODE_LABEL.value}`,
        "register-with-taints": `${REAL_NODE_TAINT.key}=${REAL_NODE_TAINT.value}:${REAL_NODE_TAINT.effect}`,
        "root-dir": rootDir,
        "pod-log-dir": join(dir, "logs"),
        "cgroup-root": cgroupRoot,
        "container-runtime-endpoint": containerd.endpoint,
        "cni-conf-dir": containerd.cniConfDir,
        "pod-cidr": opts.podCidr,
        ...opts.kubeletFlags,
      },
      { isolatable: true },
    );
    cleanups.unshift(() => kubelet.stop());
    const labels = new Map<string, CriContainer>();
    return {
      name: opts.name,
      kubelet,
      containerd,
      cgroupRoot,
      rootDir,
      async list() {
        const ids = (await containerd.ctr(["containers", "list", "--quiet"])).split("\n").filter(Boolean);
        for (const id of ids) {
          if (labels.has(id)) continue;
          const info = JSON.parse(await containerd.ctr(["containers", "info", id])) as { Labels?: Record<string, string> };
          const l = info.Labels ?? {};
          labels.set(id, {
            id,
            kind: l["io.cri-containerd.kind"] === "sandbox" ? "sandbox" : "container",
            podUid: l["io.kubernetes.pod.uid"] ?? "",
            podName: `${l["io.kubernetes.pod.namespace"] ?? ""}/${l["io.kubernetes.pod.name"] ?? ""}`,
            name: l["io.kubernetes.container.name"] ?? "",
          });
        }
        const running = new Set(
          (await containerd.ctr(["tasks", "list"]))
            .split("\n")
            .slice(1)
            .map((line) => line.trim().split(/\s+/))
            .filter((cols) => cols[2] === "RUNNING")
            .map((cols) => cols[0]!),
        );
        return { all: ids.map((id) => labels.get(id)!), running };
      },
      stop: undo,
    };
  } catch (err) {
    await undo();
    throw err;
  }
}

/** Pod cgroup directories (pod<uid>) anywhere below `rel` in every hierarchy. */
export async function podCgroups(rel: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      if (!e.isDirectory()) continue;
      if (e.name.startsWith("pod")) found.push(join(dir, e.name));
      await walk(join(dir, e.name));
    }
  };
  for (const h of await readdir("/sys/fs/cgroup").catch(() => [] as string[])) await walk(join("/sys/fs/cgroup", h, rel));
  return found;
}

/** What a drained node must not have left: containers and sandboxes, pod netns, veths, IPAM allocations, pod dirs, pod cgroups, nft rules naming its pods. */
export interface Leftovers {
  containers: string[];
  netns: string[];
  veths: string[];
  ipAllocations: string[];
  podDirs: string[];
  cgroups: string[];
  nftRules: string[];
}

/**
 * Looks for what the node's pods may leave behind. `podIps` and `sandboxIds` are every pod IP and
 * sandbox id seen during the run: any nft rule (the tables of the soak's network namespace, where
 * the CNI plugins write) that names one is a leftover.
 */
export async function leftovers(node: RealNode, podIps: ReadonlySet<string>, sandboxIds: ReadonlySet<string>): Promise<Leftovers> {
  const containers = (await node.containerd.ctr(["containers", "list", "--quiet"])).split("\n").filter(Boolean);
  const netns = await readdir(node.containerd.sandboxNetnsDir).catch(() => [] as string[]);
  const links = (await execFileAsync("ip", ["-o", "link", "show", "type", "veth"])).stdout.split("\n").filter(Boolean);
  const ipAllocations = await ipamFiles(join(node.rootDir, "cni"));
  const podDirs = await readdir(join(node.rootDir, "pods")).catch(() => [] as string[]);
  const cgroups = await podCgroups(node.cgroupRoot);
  const nftRules = await nftRulesNaming(podIps, sandboxIds);
  return { containers, netns, veths: links.map((l) => l.split(":")[1]!.trim()), ipAllocations, podDirs, cgroups, nftRules };
}

/**
 * The lines of the network namespace's nftables ruleset (iptables-nft's tables included) that name
 * one of `podIps` or `sandboxIds`, and portmap's per-sandbox chains (CNI-DN-<hash of the sandbox id>).
 */
export async function nftRulesNaming(podIps: ReadonlySet<string>, sandboxIds: ReadonlySet<string>): Promise<string[]> {
  const ruleset = (await execFileAsync("nft", ["list", "ruleset"])).stdout.split("\n");
  const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const needles = [...[...podIps].map((ip) => new RegExp(`(?<![\\d.])${escape(ip)}(?!\\d)`)), ...[...sandboxIds].map((id) => new RegExp(escape(id.slice(0, 12))))];
  return ruleset.filter((line) => /chain CNI-DN-/.test(line) || needles.some((n) => n.test(line))).map((l) => l.trim());
}

/** host-local's allocation files (named by IP) below `dir`. */
async function ipamFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    if (e.isDirectory()) out.push(...(await ipamFiles(join(dir, e.name))));
    else if (/^\d+\.\d+\.\d+\.\d+$/.test(e.name) || /^[0-9a-f:]+$/i.test(e.name)) out.push(join(dir, e.name));
  }
  return out;
}
