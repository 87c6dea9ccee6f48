// Renders the kubeplane chart into per-machine bundles: the chart's units and configs, plus certificates from the cluster PKI.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmod, copyFile, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { coalesceValues, loadChart, loadValuesFile, renderChart, userValues, type Values } from "@kubeplane/chart";
import { ensureClusterPki, publicKeyHash, type ClusterTopology, type IssueReason } from "@kubeplane/pki";
import { BundleError, bundlesOf, type Bundle } from "./bundle.js";

const REPO = fileURLToPath(new URL("../../../", import.meta.url));
/** The chart this package deploys. */
export const KUBEPLANE_CHART = join(REPO, "charts/kubeplane");
const NATS_AUTHORIZATION = join(REPO, "infra/scripts/nats-authorization.mjs");
/** Beside nats.conf: the users directory nats.conf includes from and the nats-authorizer rewrites. */
const NATS_USERS_DIR = "nats-users";

/** What to render: the chart, the user's values (`-f` files, then `--set`), and the PKI directory certificates come from. */
export interface RenderBundlesOptions {
  chartDir?: string;
  valueFiles?: string[];
  set?: string[];
  /** The cluster PKI directory (kept by the operator, like kubeadm's /etc/kubernetes/pki); created when missing. */
  pkiDir: string;
}

/** The bundles and what the PKI step did. */
export interface RenderedBundles {
  bundles: Bundle[];
  issued: Array<{ name: string; reason: IssueReason }>;
  values: Values;
}

/** Renders the chart (in the sandbox process) and groups its documents by machine. No PKI, no files: what the golden tests check. */
export async function renderMachineFiles(opts: Omit<RenderBundlesOptions, "pkiDir">): Promise<{ bundles: Bundle[]; values: Values }> {
  const chart = await loadChart(opts.chartDir ?? KUBEPLANE_CHART);
  const files = await Promise.all((opts.valueFiles ?? []).map((f) => loadValuesFile(f)));
  const user = userValues({ files, set: opts.set ?? [] });
  const result = await renderChart({
    chart,
    values: user,
    release: { name: "kubeplane", namespace: "kube-system", revision: 1, isInstall: true, isUpgrade: false, service: "kpctl" },
  });
  return { bundles: bundlesOf(result.objects), values: coalesceValues(user, chart.values) };
}

/**
 * The certificates the machines need: etcd members are the control-plane machines, which every
 * serving SAN names. No node certificates: workers join with a bootstrap token and their kubelets
 * get theirs from CSRs.
 */
export function topologyOf(bundles: readonly Bundle[], values: Values): ClusterTopology {
  const cps = bundles.filter((b) => b.machine.role === "control-plane").map((b) => b.machine);
  const extra = ((values["cluster"] as { apiserverSans?: string[] } | undefined)?.apiserverSans ?? []).map(String);
  const cpAddresses = cps.map((m) => m.address);
  return {
    nodes: [],
    etcdMembers: cps.map((m) => ({ name: m.name, addresses: [m.address] })),
    apiserverSans: {
      ipAddresses: [...cpAddresses, ...extra.filter((s) => /^[0-9.]+$|:/.test(s))],
      dnsNames: extra.filter((s) => !/^[0-9.]+$|:/.test(s)),
    },
    natsSans: { ipAddresses: cpAddresses },
    // Components serve on their machine's address (control plane and workers alike).
    componentSans: { ipAddresses: bundles.map((b) => b.machine.address) },
  };
}

/** Satisfies the chart's need for a CA hash in the first render, which only reads the machines. */
const PLACEHOLDER_CA_HASH = `sha256:${"0".repeat(64)}`;

/**
 * Renders the bundles and brings the PKI up to date for their topology (`ensureClusterPki`:
 * missing or stale certificates issued, the rest kept), plus the secrets every apiserver shares
 * (`encryption-keys`, created once). The chart is rendered twice: first for the machines (the
 * PKI's topology), then with `join.caCertHash` set from the PKI's CA (what joining kubelets pin,
 * overriding any given).
 */
export async function renderBundles(opts: RenderBundlesOptions): Promise<RenderedBundles> {
  const set = opts.set ?? [];
  const first = await renderMachineFiles({ ...opts, set: [...set, `join.caCertHash=${PLACEHOLDER_CA_HASH}`] });
  const pki = await ensureClusterPki(opts.pkiDir, topologyOf(first.bundles, first.values));
  await ensureEncryptionKeys(opts.pkiDir);
  const caCertHash = publicKeyHash(await readFile(pki.pki.caFile("cluster"), "utf8"));
  const { bundles, values } = await renderMachineFiles({ ...opts, set: [...set, `join.caCertHash=${caCertHash}`] });
  return { bundles, issued: pki.issued, values };
}

async function ensureEncryptionKeys(pkiDir: string): Promise<void> {
  const file = join(pkiDir, "encryption-keys");
  try {
    await readFile(file);
  } catch {
    await writeFile(file, `key1:${randomBytes(32).toString("base64")}\n`, { mode: 0o600, flag: "wx" }).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== "EEXIST") throw err;
    });
  }
}

/**
 * Writes each bundle to OUT/<machine>/: `machine.json` (its Machine spec) and `files/` mirroring the
 * absolute paths on the machine (configs, units, its PKI files, NATS' initial authorization block and
 * static users for the nats-authorizer). A
 * machine's previous bundle is replaced whole. Returns the bundle directories.
 */
export async function writeBundles(bundles: readonly Bundle[], pkiDir: string, outDir: string): Promise<string[]> {
  const withNats = bundles.some((b) => b.files.some((f) => f.path.endsWith("/nats.conf")));
  const natsAuthorization = withNats ? await natsAuthorizationOf(pkiDir) : "";
  const natsStaticUsers = withNats ? await natsAuthorizationOf(pkiDir, "--static-subjects") : "";
  const dirs: string[] = [];
  for (const { machine, files } of bundles) {
    const dir = resolve(outDir, machine.name);
    await rm(dir, { recursive: true, force: true });
    const put = async (path: string, content: string | Buffer, mode: number): Promise<void> => {
      const target = join(dir, "files", path);
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, content, { mode });
      await chmod(target, mode);
    };
    for (const f of files) await put(f.path, f.content, parseInt(f.mode, 8));
    const natsConf = files.find((f) => f.path.endsWith("/nats.conf"));
    if (natsConf) {
      await put(join(dirname(natsConf.path), NATS_USERS_DIR, "authorization.conf"), natsAuthorization, 0o600);
      await put(join(dirname(natsConf.path), NATS_USERS_DIR, "static-users.json"), natsStaticUsers, 0o600);
    }
    for (const name of machine.certificates) {
      const target = join(dir, "files", machine.pkiDir, name);
      await mkdir(dirname(target), { recursive: true });
      await copyFile(join(pkiDir, name), target).catch((err: unknown) => {
        throw new BundleError(`${machine.name} needs ${name} from the PKI directory ${pkiDir}: ${(err as Error).message}`);
      });
      await chmod(target, name.endsWith(".crt") ? 0o644 : 0o600);
    }
    await writeFile(join(dir, "machine.json"), `${JSON.stringify(machine, null, 2)}\n`);
    dirs.push(dir);
  }
  return dirs;
}

/**
 * NATS' `authorization` block for the PKI's client certificates, or with `--static-subjects` the
 * static users' subjects (infra/scripts/nats-authorization.mjs, the one definition).
 */
async function natsAuthorizationOf(pkiDir: string, ...flags: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, ["--conditions=source", "--import", "tsx", NATS_AUTHORIZATION, ...flags, pkiDir], { cwd: REPO });
  return stdout;
}
