// Renders a test containerd's config.toml and registry hosts.toml files, keeping every path inside its temp dir.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** Where a test containerd keeps everything; all under one temp dir. */
export interface ContainerdLayout {
  dir: string;
  root: string;
  state: string;
  socket: string;
  optDir: string;
  cniConfDir: string;
  cniBinDir: string;
  /** Registry hosts dir (containerd's `config_path`): <dir>/certs.d/<host>/hosts.toml. */
  certsDir: string;
  sandboxImage: string;
  snapshotter: "overlayfs" | "native";
}

/**
 * Plugins a test never needs; skipping them shortens start-up. (io.containerd.runtime.v1.linux
 * cannot go: 1.6's tasks service, and so the CRI plugin, refuse to load without it.)
 */
const DISABLED_PLUGINS = [
  "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.zfs",
  "io.containerd.tracing.processor.v1.otlp",
  "io.containerd.internal.v1.tracing",
];

/** The config.toml text (version 2 schema, containerd 1.6). */
export function renderContainerdConfig(layout: ContainerdLayout): string {
  const q = (value: string): string => JSON.stringify(value);
  const cri = `plugins."io.containerd.grpc.v1.cri"`;
  return `# Written by @kubeplane/testing's startContainerd: every path is inside ${layout.dir}.
version = 2
root = ${q(layout.root)}
state = ${q(layout.state)}
disabled_plugins = [${DISABLED_PLUGINS.map(q).join(", ")}]

[grpc]
  address = ${q(layout.socket)}

[ttrpc]
  address = ${q(`${layout.socket}.ttrpc`)}

# Without this the opt plugin creates /opt/containerd.
[plugins."io.containerd.internal.v1.opt"]
  path = ${q(layout.optDir)}

[${cri}]
  sandbox_image = ${q(layout.sandboxImage)}
  # Sandbox netns bind mounts go under the state dir, not /var/run/netns (shared with the host).
  netns_mounts_under_state_dir = true
  # This machine's root lacks CAP_SYS_RESOURCE, so runc cannot lower oom_score_adj to the
  # sandbox's -998 ("can't get final child's PID from pipe: EOF"); clamp it to ours instead.
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"

[${cri}.containerd]
  snapshotter = ${q(layout.snapshotter)}
  default_runtime_name = "runc"

[${cri}.containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"

# cgroupfs, not systemd: no systemd runs here, and the hosts' cgroups are v1.
[${cri}.containerd.runtimes.runc.options]
  SystemdCgroup = false

[${cri}.cni]
  bin_dir = ${q(layout.cniBinDir)}
  conf_dir = ${q(layout.cniConfDir)}
  max_conf_num = 1

[${cri}.registry]
  config_path = ${q(layout.certsDir)}
`;
}

/**
 * Writes hosts.toml files so image references resolve to registries on loopback over plain HTTP:
 * each `mirrors` key (e.g. "docker.io") is served by its value (host:port), and each host in
 * `plainHttp` (e.g. "127.0.0.1:5000") is reached over http. The mirror is also the `server`, so
 * a failed pull never falls back to the real upstream on the internet.
 */
export async function writeRegistryHosts(certsDir: string, mirrors: Record<string, string>, plainHttp: readonly string[]): Promise<void> {
  const entries: [string, string][] = [...Object.entries(mirrors), ...plainHttp.map((host): [string, string] => [host, host])];
  for (const [registry, target] of entries) {
    const dir = join(certsDir, registry);
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, "hosts.toml"),
      `server = "http://${target}"\n\n[host."http://${target}"]\n  capabilities = ["pull", "resolve", "push"]\n  skip_verify = true\n`,
    );
  }
}
