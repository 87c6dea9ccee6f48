// Test support for simulated machines: a private /24 on a bridge of network namespaces, the chart rendered and installed on them.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { stringify } from "yaml";
import { fromDist, httpProbe } from "@kubeplane/testing";
import type { MachineSpec } from "../src/bundle.js";
import { renderBundles, writeBundles } from "../src/render-bundles.js";

const run = promisify(execFile);
export const REPO = fileURLToPath(new URL("../../../", import.meta.url));
const NETNS_SH = join(REPO, "infra/deploy/ha/netns.sh");
const INSTALL_SH = join(REPO, "infra/deploy/install.sh");
const HEALTH_SH = join(REPO, "infra/deploy/health.sh");

/** Simulated control-plane machines, rendered from the chart, installed and running under the unit runner. */
export interface HaCluster {
  bridge: string;
  dir: string;
  /** The values file the bundles were rendered from (its machines, roots and install settings). */
  valuesFile: string;
  pkiDir: string;
  machines: MachineSpec[];
  bundles: string[];
  /** Every apiserver, comma-separated (what clients are given). */
  apiservers: string;
  netns(machine: string): string;
  /** SIGKILLs every process in the machine's namespace (the runner too): the machine is lost. */
  kill(machine: string): Promise<void>;
  /** Installs the machine's bundle again and starts its runner (a machine coming back). */
  install(machine: string): Promise<void>;
  close(): Promise<void>;
}

/** A /24 in 10.78.0.0/16 that no interface of this host uses. */
async function freeSubnet(): Promise<string> {
  const { stdout } = await run("ip", ["-4", "-o", "addr", "show"]);
  for (let i = 0; i < 50; i++) {
    const x = 100 + Math.floor(Math.random() * 150);
    if (!stdout.includes(` 10.78.${x}.`)) return `10.78.${x}`;
  }
  throw new Error("no free /24 in 10.78.0.0/16");
}

/** Starts `count` control-plane machines (etcd, NATS, apiserver, scheduler, controller-manager). */
export async function startHaControlPlane(count = 3): Promise<HaCluster> {
  const net = await freeSubnet();
  // kp-n*: make up's forward guard lets bridged traffic of kp-n* bridges through (see ha/netns.sh).
  const bridge = `kp-nt${randomBytes(2).toString("hex")}`;
  const dir = await mkdtemp(join(tmpdir(), "kp-ha-"));
  const names = Array.from({ length: count }, (_, i) => `cp-${i + 1}`);
  const address = (i: number): string => `${net}.${11 + i}`;
  const ns = (m: string): string => `${bridge}-${m}`;
  await run(NETNS_SH, ["up", bridge, `${net}.1/24`, ...names.map((n, i) => `${n}=${address(i)}`)]);
  const close = async (): Promise<void> => {
    await run(NETNS_SH, ["down", bridge, ...names]).catch(() => undefined);
    if (process.env["KP_HA_KEEP"] === "1") process.stderr.write(`# kept ${dir} (KP_HA_KEEP=1)\n`);
    else await rm(dir, { recursive: true, force: true });
  };
  try {
    const values = join(dir, "values.yaml");
    await writeFile(values, stringify({
      machines: names.map((name, i) => ({ name, address: address(i), role: "control-plane", root: join(dir, name) })),
      // From dist/ (the chart's default, as a real install) when `make test` built it for this run; else from sources, as dist/ may lag behind a change being tested.
      install: {
        kubeplaneDir: REPO.replace(/\/$/, ""),
        ...(fromDist() ? { nodeArgs: [], entry: "dist/src/main.js" } : { nodeArgs: ["--conditions=source", "--import", "tsx"], entry: "src/main.ts" }),
      },
      addons: { cloudControllerManager: false, prometheus: false, dns: false, ingressController: false },
    }));
    const pkiDir = join(dir, "pki");
    const rendered = await renderBundles({ valueFiles: [values], pkiDir });
    const bundles = await writeBundles(rendered.bundles, pkiDir, join(dir, "bundles"));
    const machines = rendered.bundles.map((b) => b.machine);
    const install = async (m: string): Promise<void> => {
      await run("nsenter", [`--net=/run/netns/${ns(m)}`, INSTALL_SH, "--runner", join(dir, "bundles", m)]);
    };
    await Promise.all(names.map((m) => install(m)));
    return {
      bridge, dir, valuesFile: values, pkiDir, machines, bundles,
      apiservers: machines.map((m) => `${m.address}:6443`).join(","),
      netns: ns,
      kill: async (m) => {
        for (let i = 0; i < 5; i++) {
          const pids = (await run("ip", ["netns", "pids", ns(m)])).stdout.split(/\s+/).filter(Boolean).map(Number);
          if (pids.length === 0) return;
          for (const pid of pids) {
            try {
              process.kill(pid, "SIGKILL");
            } catch {
              // gone already
            }
          }
          await new Promise((r) => setTimeout(r, 100));
        }
      },
      install,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

/** Whether every machine passes its bundle's health gates now (infra/deploy/health.sh: etcd, NATS, apiserver, nats-authorizer). */
export async function clusterHealthy(ha: Pick<HaCluster, "dir" | "machines">): Promise<boolean> {
  return run(HEALTH_SH, ha.machines.map((m) => join(ha.dir, "bundles", m.name))).then(
    () => true,
    () => false,
  );
}

/** etcd's /health on the member's metrics listener. */
export async function etcdHealthy(m: MachineSpec): Promise<boolean> {
  const r = await httpProbe("GET", `http://${m.address}:2381/health`).catch(() => undefined);
  return r?.status === 200 && r.text.includes('"health":"true"');
}

/** The NATS server's route count (its /routez). */
export async function natsRoutes(m: MachineSpec): Promise<number> {
  const r = await httpProbe("GET", `http://${m.address}:8222/routez`).catch(() => undefined);
  return r?.status === 200 ? Number((r.body as { num_routes?: number }).num_routes ?? 0) : -1;
}

/** The apiserver's /readyz (anonymous over TLS). */
export async function apiserverReady(m: MachineSpec): Promise<boolean> {
  const r = await httpProbe("GET", `https://${m.address}:6080/readyz`, undefined, 1000, { caFile: join(m.pkiDir, "ca.crt") }).catch(() => undefined);
  return r?.status === 200;
}

/** The NATS server (machine name) leading the watch stream KP_WATCH, from any reachable server's /jsz. */
export async function watchStreamLeader(machines: MachineSpec[]): Promise<string | undefined> {
  for (const m of machines) {
    const r = await httpProbe("GET", `http://${m.address}:8222/jsz?streams=true`).catch(() => undefined);
    const accounts = (r?.body as { account_details?: Array<{ stream_detail?: Array<{ name?: string; cluster?: { leader?: string } }> }> } | undefined)?.account_details ?? [];
    for (const a of accounts) for (const st of a.stream_detail ?? []) if (st.name === "KP_WATCH" && st.cluster?.leader) return st.cluster.leader;
  }
  return undefined;
}
