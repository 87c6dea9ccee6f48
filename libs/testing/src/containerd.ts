// Starts a real containerd (CRI plugin, runc, CNI) in a temp dir for tests, and removes every trace of it on stop.
//
// Machine notes (containerd 1.6.20, runc 1.1.5, cgroup v1 hybrid, ext4):
// - Start-up to a CRI that answers Version takes ~1.1 s; building and importing the pause image
//   another 1-3 s (the build is ~0.6 s on an idle machine, most of it forks for applet symlinks).
// - root here lacks CAP_SYS_RESOURCE: runc cannot set the sandbox's oom_score_adj of -998 and fails
//   with "can't get final child's PID from pipe: EOF", hence restrict_oom_score_adj = true.
// - `ip netns exec` remounts /sys and hides the cgroup v1 hierarchies from runc: enterTestNetns
//   uses nsenter + unshare instead.
// - Every path is configured into the temp dir (root, state, sockets, the `opt` plugin, CNI conf,
//   registry hosts, sandbox netns via netns_mounts_under_state_dir); only the shims' sockets and
//   runc's state stay in /run/containerd (/run/containerd/s, /run/containerd/runc/k8s.io), which
//   containerd 1.6 hard-codes. The CRI always uses the containerd namespace `k8s.io`.
// - Run it inside `enterTestNetns`: the CNI bridge and pod routes then live in the test's netns,
//   and the overlay/shm/netns mounts in the test's private mount namespace.
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { renderContainerdConfig, writeRegistryHosts, type ContainerdLayout } from "./containerd-config.js";
import { sweepContainerdLeftovers } from "./containerd-sweep.js";
import { CriWireClient } from "./cri-wire.js";
import { buildBusyboxImage, PAUSE_IMAGE } from "./images.js";
import { concatFiles, ManagedProcess } from "./managed-process.js";
import { trackDir, untrackDir } from "./process-registry.js";
import { awaitReady } from "./readiness.js";

const execFileAsync = promisify(execFile);
const READY_TIMEOUT_MS = 30_000;
/** The containerd namespace of the CRI plugin (fixed by containerd). */
export const CRI_NAMESPACE = "k8s.io";

/** Options of `startContainerd`. */
export interface ContainerdOptions {
  /** Registry mirrors, e.g. `{ "docker.io": registry.host }`: pulls of docker.io/… go to the local registry. */
  mirrors?: Record<string, string>;
  /** Registries (host:port) reached over plain HTTP, e.g. `[registry.host]`. */
  plainHttpRegistries?: readonly string[];
  /** CNI binaries. Default /usr/lib/cni (Debian's containernetworking-plugins). */
  cniBinDir?: string;
}

/**
 * A running containerd with its CRI plugin. Not safe for concurrent `stop` and use; `stop()` in an
 * `after` hook removes everything it made, even after a failed test.
 */
export interface Containerd {
  /** The temp dir holding everything. */
  readonly dir: string;
  /** The gRPC socket's path. */
  readonly socket: string;
  /** The CRI endpoint for clients: `unix://<socket>`. */
  readonly endpoint: string;
  /** Where containerd's CRI reads its CNI config (the kubelet writes its conflist here; empty at start). */
  readonly cniConfDir: string;
  /** Where the CRI bind-mounts sandbox network namespaces (one file per live sandbox). */
  readonly sandboxNetnsDir: string;
  /** The sandbox (pause) image, already imported. */
  readonly sandboxImage: string;
  /** Milliseconds from spawn to a CRI answering Version. */
  readonly startupMs: number;
  /** Runs `ctr` against this containerd in the CRI's namespace and resolves with its stdout. */
  ctr(args: readonly string[]): Promise<string>;
  /**
   * Stops containerd alone (SIGTERM; SIGKILL simulates a crash). Its shims and containers keep
   * running, as they would on a node; `restart()` reconnects to them.
   */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Stops containerd if running and starts it again on the same dirs; resolves once its CRI answers. */
  restart(): Promise<void>;
  /**
   * Removes every pod sandbox and container (through the CRI, then `ctr` for anything left), stops
   * containerd, then force-deletes any container runc still has from it (e.g. after a crash), kills
   * its shims, unmounts what is left under its dir, and removes the dir. Idempotent.
   */
  stop(): Promise<void>;
  /** containerd's log, for failure diagnostics. */
  logs(): string;
}

/** Starts containerd and resolves once its CRI answers and the pause image is imported; throws ProcessStartError otherwise. */
export async function startContainerd(opts: ContainerdOptions = {}): Promise<Containerd> {
  const dir = await mkdtemp(join(tmpdir(), "kp-ctrd-"));
  trackDir(dir);
  const layout: ContainerdLayout = {
    dir,
    root: join(dir, "root"),
    state: join(dir, "state"),
    socket: join(dir, "containerd.sock"),
    optDir: join(dir, "opt"),
    cniConfDir: join(dir, "net.d"),
    cniBinDir: opts.cniBinDir ?? "/usr/lib/cni",
    certsDir: join(dir, "certs.d"),
    sandboxImage: PAUSE_IMAGE,
    snapshotter: "overlayfs",
  };
  const containerd = new TestContainerd(layout);
  try {
    await mkdir(layout.cniConfDir, { recursive: true });
    await writeRegistryHosts(layout.certsDir, opts.mirrors ?? {}, opts.plainHttpRegistries ?? []);
    await writeFile(join(dir, "config.toml"), renderContainerdConfig(layout));
    await containerd.start();
    await containerd.importSandboxImage();
    return containerd;
  } catch (error) {
    await containerd.stop();
    throw error;
  }
}

class TestContainerd implements Containerd {
  readonly dir: string;
  readonly socket: string;
  readonly endpoint: string;
  readonly cniConfDir: string;
  readonly sandboxNetnsDir: string;
  readonly sandboxImage: string;
  startupMs = 0;
  readonly #layout: ContainerdLayout;
  readonly #logFile: string;
  #process: ManagedProcess | undefined;
  #stopped: Promise<void> | undefined;

  constructor(layout: ContainerdLayout) {
    this.#layout = layout;
    this.dir = layout.dir;
    this.socket = layout.socket;
    this.endpoint = `unix://${layout.socket}`;
    this.cniConfDir = layout.cniConfDir;
    // netns_mounts_under_state_dir: <state>/io.containerd.grpc.v1.cri/netns.
    this.sandboxNetnsDir = join(layout.state, "io.containerd.grpc.v1.cri", "netns");
    this.sandboxImage = layout.sandboxImage;
    this.#logFile = join(layout.dir, "containerd.log");
  }

  async start(): Promise<void> {
    const started = Date.now();
    const proc = new ManagedProcess("containerd", ["--config", join(this.dir, "config.toml"), "--log-level", "info"], this.#logFile);
    this.#process = proc;
    const cri = new CriWireClient(this.socket);
    try {
      await awaitReady({
        what: `containerd in ${this.dir}`,
        processes: [proc],
        logFiles: [this.#logFile],
        probe: async () => {
          await cri.version();
          return true;
        },
        timeoutMs: READY_TIMEOUT_MS,
      });
    } finally {
      cri.close();
    }
    this.startupMs = Date.now() - started;
  }

  /** Imports the pause image (built from busybox) so sandboxes never pull it. */
  async importSandboxImage(): Promise<void> {
    const image = await buildBusyboxImage({ pause: true, name: this.sandboxImage });
    try {
      const archive = join(this.dir, "pause.tar");
      await execFileAsync("tar", ["-C", image.dir, "-cf", archive, "."]);
      await this.ctr(["images", "import", "--snapshotter", this.#layout.snapshotter, archive]);
      await rm(archive, { force: true });
    } finally {
      await image.remove();
    }
  }

  async ctr(args: readonly string[]): Promise<string> {
    try {
      const { stdout } = await execFileAsync("ctr", ["--address", this.socket, "--namespace", CRI_NAMESPACE, ...args]);
      return stdout;
    } catch (error) {
      const stderr = (error as { stderr?: string }).stderr ?? "";
      throw new Error(`ctr ${args.join(" ")} failed: ${stderr.trim()}`, { cause: error });
    }
  }

  async kill(signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    await this.#process?.kill(signal);
  }

  async restart(): Promise<void> {
    await this.kill();
    await this.start();
  }

  stop(): Promise<void> {
    this.#stopped ??= (async () => {
      if (this.#process?.running) {
        await this.#removeSandboxes();
        await this.#removeLeftoverContainers();
      }
      await this.#process?.kill("SIGTERM");
      await sweepContainerdLeftovers(this.dir, this.socket);
      await rm(this.dir, { recursive: true, force: true, maxRetries: 3 });
      untrackDir(this.dir);
    })();
    return this.#stopped;
  }

  logs(): string {
    return concatFiles([this.#logFile]);
  }

  /** The CRI way first: it also runs CNI DEL, so IPs are released and veths deleted. */
  async #removeSandboxes(): Promise<void> {
    const cri = new CriWireClient(this.socket);
    try {
      for (const id of await cri.listPodSandboxIds()) {
        await cri.stopAndRemovePodSandbox(id).catch(() => undefined);
      }
    } catch {
      // The CRI is broken: `ctr` below still removes the containers.
    } finally {
      cri.close();
    }
  }

  /** Whatever the CRI could not remove: tasks killed, containers deleted (with their snapshots). */
  async #removeLeftoverContainers(): Promise<void> {
    const ids = (await this.ctr(["containers", "list", "--quiet"]).catch(() => "")).split("\n").filter(Boolean);
    for (const id of ids) {
      await this.ctr(["tasks", "delete", "--force", id]).catch(() => undefined);
      await this.ctr(["containers", "delete", id]).catch(() => undefined);
    }
  }
}
