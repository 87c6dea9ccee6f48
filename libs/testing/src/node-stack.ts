// A real node for end-to-end tests: a local registry holding the busybox image, a private
// containerd (runc, CNI) and the kubelet as its own process, on a control plane from
// startControlPlane — run inside a test network namespace (enterTestNetns). Plus the small
// clients such tests use: an HTTP GET and kpctl as a process.
import { execFile } from "node:child_process";
import { mkdtemp, readdir, rm, rmdir, stat } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { serviceEntry, type ControlPlane } from "./control-plane.js";
import { startContainerd, type Containerd } from "./containerd.js";
import { buildBusyboxImage, pushImage, type ImageLayout } from "./images.js";
import { nodeEntryArgs } from "./node-command.js";
import { startRegistry, type Registry } from "./registry.js";
import { startServiceProcess, type ServiceProcess } from "./service-process.js";
import { testPkiNow } from "./test-pki.js";
import { waitFor } from "./wait-for.js";

const execFileAsync = promisify(execFile);

export interface NodeStackOptions {
  nodeName: string;
  /** The node's pod CIDR (the kubelet writes the CNI config for it). */
  podCidr: string;
  /** More kubelet flags (without dashes), e.g. cluster-dns. */
  kubeletFlags?: Record<string, string>;
}

export interface NodeStack {
  readonly registry: Registry;
  readonly image: ImageLayout;
  readonly containerd: Containerd;
  /** The running kubelet process (replaced by restartKubelet). */
  readonly kubelet: ServiceProcess;
  /** A temp dir of the stack's own (kubelet root, pod logs). */
  readonly dir: string;
  /** SIGKILLs the kubelet and starts a new one with the same flags. */
  restartKubelet(): Promise<ServiceProcess>;
  /** Stops the kubelet, removes every container and sandbox, stops containerd and the registry. */
  stop(): Promise<void>;
}

/** Starts a registry with busybox, containerd and a kubelet registered as `nodeName`. */
export async function startNodeStack(cp: ControlPlane, opts: NodeStackOptions): Promise<NodeStack> {
  const dir = await mkdtemp(join(tmpdir(), `kp-node-${opts.nodeName}-`));
  const cleanups: Array<() => Promise<unknown>> = [() => rm(dir, { recursive: true, force: true })];
  const undo = async (): Promise<void> => {
    for (const c of cleanups.splice(0)) await c().catch(() => undefined);
  };
  try {
    const [registry, image] = await Promise.all([startRegistry(), buildBusyboxImage()]);
    cleanups.unshift(() => registry.stop(), () => image.remove());
    await pushImage(registry.host, image.dir, "library/busybox:1.36");
    const containerd = await startContainerd({ mirrors: { "docker.io": registry.host }, plainHttpRegistries: [registry.host] });
    cleanups.unshift(() => containerd.stop());
    const cgroupRoot = `/kubeplane-test-${process.pid}-${opts.nodeName}`;
    // Last of all (after containerd stopped every container): the cgroups the kubelet made.
    cleanups.push(() => removeCgroupTrees(cgroupRoot));
    const flags = {
      apiserver: cp.apiserver.grpcAddress,
      "nats-url": cp.nats.url,
      "node-name": opts.nodeName,
      "node-ip": "127.0.0.1",
      "root-dir": join(dir, "kubelet"),
      "pod-log-dir": join(dir, "logs"),
      "cgroup-root": cgroupRoot,
      "container-runtime-endpoint": containerd.endpoint,
      "cni-conf-dir": containerd.cniConfDir,
      "pod-cidr": opts.podCidr,
      ...opts.kubeletFlags,
    };
    // The node's NATS user (its own pods' subjects only) comes from its Node, which the kubelet
    // registers: the nats-authorizer beside NATS adds it, as in `make up` and deployments.
    await cp.natsAuthorizer();
    const start = (): Promise<ServiceProcess> => startServiceProcess({ entry: serviceEntry("kubelet"), flags, readyTimeoutMs: 60_000 });
    let kubelet = await start();
    cleanups.unshift(() => kubelet.kill());
    return {
      registry,
      image,
      containerd,
      dir,
      get kubelet() {
        return kubelet;
      },
      async restartKubelet() {
        await kubelet.kill("SIGKILL");
        kubelet = await start();
        return kubelet;
      },
      stop: undo,
    };
  } catch (err) {
    await undo();
    throw err;
  }
}

/**
 * Removes `rel`'s cgroup directories, deepest first, in every hierarchy under /sys/fs/cgroup. The
 * containers' processes were just killed and may not have left their cgroups yet (rmdir: EBUSY),
 * so it tries again until the trees are gone, for a few seconds.
 */
export async function removeCgroupTrees(rel: string): Promise<void> {
  const removeTree = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) if (e.isDirectory()) await removeTree(join(dir, e.name));
    await rmdir(dir).catch(() => undefined);
  };
  const trees = (await readdir("/sys/fs/cgroup").catch(() => [] as string[])).map((h) => join("/sys/fs/cgroup", h, rel));
  await waitFor(
    async () => {
      for (const t of trees) await removeTree(t);
      return (await Promise.all(trees.map((t) => stat(t).then(() => true, () => false)))).every((exists) => !exists);
    },
    { timeoutMs: 10_000, intervalMs: 100, message: `cgroups ${rel} removed` },
  ).catch(() => undefined);
}

/** GET url over a fresh connection; resolves the body, rejects with the socket error (ECONNREFUSED, …). */
export function httpGet(url: string, timeoutMs = 2_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("error", reject);
      res.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    });
    req.on("timeout", () => req.destroy(Object.assign(new Error(`GET ${url} timed out`), { code: "ETIMEDOUT" })));
    req.on("error", reject);
    req.end();
  });
}

/** Runs kpctl (from source, or built under `make test`) against `server` as an operator would; never reads the user's context file. */
/** kpctl's credential flags for the test PKI's admin. */
export function kpctlTlsFlags(identity = "admin"): string[] {
  const files = testPkiNow().files(identity);
  return [`--certificate-authority=${files.caFile}`, `--client-certificate=${files.certFile}`, `--client-key=${files.keyFile}`];
}

export async function runKpctl(server: string, args: readonly string[], opts: { timeoutMs?: number } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, [...nodeEntryArgs(serviceEntry("kpctl")), `--server=${server}`, ...kpctlTlsFlags(), ...args], {
      env: { ...process.env, KUBEPLANE_CONFIG: "/nonexistent/kubeplane-test-config" },
      timeout: opts.timeoutMs ?? 30_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : -1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}
