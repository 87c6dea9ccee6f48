// `kpctl pki init|issue|renew|list`: the cluster PKI directory (CAs, component and node certificates), like `kubeadm certs`.
import { homedir } from "node:os";
import { isIP } from "node:net";
import { join, resolve } from "node:path";
import {
  ensureClusterPki,
  loadPki,
  type CaName,
  type CertInfo,
  type ClusterTopology,
  type MachineAddresses,
  type SanList,
  type Usage,
} from "@kubeplane/pki";
import { UsageError, type Flags } from "../args.js";
import { humanDuration } from "@kubeplane/api";
import { alignTabs, TABLE_TABS } from "../printers/tab-writer.js";
import { formatData } from "../printers/yaml-json.js";
import type { Command, CommandContext } from "./command.js";

const SUBCOMMANDS = "init, issue NAME, renew NAME|--all, list";

/** The PKI directory: --dir, else $KUBEPLANE_PKI_DIR, else ~/.kubeplane/pki (production: /etc/kubeplane/pki). */
export function pkiDir(flag: string | undefined, env: Record<string, string | undefined>): string {
  return resolve(flag || env.KUBEPLANE_PKI_DIR || join(env.HOME || homedir(), ".kubeplane", "pki"));
}

export const pkiCommand: Command = {
  name: "pki",
  summary: `Create and inspect the cluster's certificates (like kubeadm certs).\nSubcommands: ${SUBCOMMANDS}.`,
  usage: "kpctl pki SUBCOMMAND [options]",
  examples: [
    "  # Create the CAs and every component's certificate, for two nodes and three etcd members",
    "  kpctl pki init --dir /etc/kubeplane/pki --nodes node-1=10.0.0.11,node-2=10.0.0.12 --etcd-members m1=10.0.0.1,m2=10.0.0.2,m3=10.0.0.3",
    "",
    "  # Issue a client certificate for a user in a group",
    "  kpctl pki issue jane --cn jane --o developers --usage client --days 30",
    "",
    "  # Renew every certificate expiring within 30 days",
    "  kpctl pki renew --all --within 30d",
    "",
    "  # Show every certificate and when it expires",
    "  kpctl pki list",
  ].join("\n"),
  flags: [
    { name: "dir", type: "string", value: "DIR", description: "The PKI directory (default $KUBEPLANE_PKI_DIR or ~/.kubeplane/pki)." },
    { name: "nodes", type: "strings", value: "NAME[=ADDR]", description: "init: nodes to issue node-NAME for; repeat NAME=ADDR for several addresses." },
    { name: "etcd-members", type: "strings", value: "NAME[=ADDR]", description: "init: etcd members to issue etcd-NAME for." },
    { name: "apiserver-san", type: "strings", description: "init: extra DNS names or IPs of the apiserver's certificate." },
    { name: "nats-san", type: "strings", description: "init: extra DNS names or IPs of the NATS certificate." },
    { name: "cluster-name", type: "string", description: "init: prefix of the CAs' common names (default kubeplane)." },
    { name: "cn", type: "string", description: "issue: the subject's common name (the user name)." },
    { name: "o", type: "strings", description: "issue: the subject's organizations (the groups)." },
    { name: "dns", type: "strings", description: "issue: DNS subject alternative names." },
    { name: "ip", type: "strings", description: "issue: IP subject alternative names." },
    { name: "usage", type: "strings", description: "issue: server, client or both." },
    { name: "ca", type: "string", default: "cluster", description: "issue: the signing CA, cluster or etcd." },
    { name: "days", type: "string", description: "issue, renew: lifetime in days (issue: default 365; renew: the current one)." },
    { name: "all", type: "boolean", description: "renew: every certificate the CAs signed (CAs excepted)." },
    { name: "within", type: "string", description: "renew: only certificates expiring within this long (e.g. 30d, 12h)." },
    { name: "output", short: "o", type: "string", description: "list: json or yaml instead of a table." },
  ],
  async run(ctx) {
    const [sub, ...rest] = ctx.args;
    const dir = pkiDir(ctx.flags.string("dir"), ctx.io.env);
    switch (sub) {
      case "init":
        return await init(ctx, dir);
      case "issue":
        return await issue(ctx, dir, rest);
      case "renew":
        return await renew(ctx, dir, rest);
      case "list":
        return await list(ctx, dir);
      default:
        throw new UsageError(sub ? `unknown pki subcommand "${sub}"; one of: ${SUBCOMMANDS}` : `a subcommand is required: ${SUBCOMMANDS}`);
    }
  },
};

async function init(ctx: CommandContext, dir: string): Promise<number> {
  const topology: ClusterTopology = {
    nodes: machines(ctx.flags.strings("nodes")),
    etcdMembers: machines(ctx.flags.strings("etcd-members")),
    apiserverSans: sans(ctx.flags.strings("apiserver-san")),
    natsSans: sans(ctx.flags.strings("nats-san")),
  };
  const clusterName = ctx.flags.string("cluster-name");
  const result = await ensureClusterPki(dir, topology, clusterName ? { clusterName } : {});
  ctx.out(`[pki] Using directory ${dir}\n`);
  for (const name of result.createdCas) ctx.out(`[pki] Generated ${name}\n`);
  for (const { name, reason } of result.issued) ctx.out(`[pki] Issued ${name} (${reason})\n`);
  for (const name of result.kept) ctx.out(`[pki] Kept ${name}\n`);
  ctx.out(`[pki] CA certificate hash: ${result.pki.caHash()}\n`);
  return 0;
}

async function issue(ctx: CommandContext, dir: string, args: string[]): Promise<number> {
  const name = args[0];
  if (!name || args.length > 1) throw new UsageError("use: kpctl pki issue NAME --cn CN --usage server,client [--o O] [--dns D] [--ip IP] [--ca etcd] [--days N]");
  const commonName = ctx.flags.string("cn");
  if (!commonName) throw new UsageError("--cn is required");
  const usages = ctx.flags.strings("usage");
  if (usages.length === 0) throw new UsageError("--usage is required: server, client or server,client");
  for (const u of usages) if (u !== "server" && u !== "client") throw new UsageError(`--usage: "${u}" is not server or client`);
  const ca = ctx.flags.string("ca") ?? "cluster";
  if (ca !== "cluster" && ca !== "etcd") throw new UsageError(`--ca: "${ca}" is not cluster or etcd`);
  const pki = await loadPki(dir);
  const issued = await pki.issue({
    name,
    ca: ca as CaName,
    commonName,
    organizations: ctx.flags.strings("o"),
    dnsNames: ctx.flags.strings("dns"),
    ipAddresses: ctx.flags.strings("ip"),
    usages: usages as Usage[],
    ...days(ctx.flags),
  });
  ctx.out(`certificate "${name}" issued: ${issued.certFile}, ${issued.keyFile} (expires in ${humanDuration(issued.notAfter.getTime() - ctx.now().getTime())})\n`);
  return 0;
}

async function renew(ctx: CommandContext, dir: string, args: string[]): Promise<number> {
  const all = ctx.flags.boolean("all");
  if (all === (args.length > 0) || args.length > 1) throw new UsageError("use: kpctl pki renew NAME | --all [--within 30d]");
  const pki = await loadPki(dir);
  const withinFlag = ctx.flags.string("within");
  const deadline = withinFlag === undefined ? Infinity : ctx.now().getTime() + parseSpan(withinFlag);
  const targets = all
    ? (await pki.list()).filter((c) => !c.isCa && c.issuer !== undefined)
    : [await pki.read(args[0] as string)];
  let renewed = 0;
  for (const cert of targets) {
    if (cert.notAfter.getTime() > deadline) {
      ctx.out(`certificate "${cert.name}" kept (expires in ${residual(cert, ctx.now())})\n`);
      continue;
    }
    const issued = await pki.renew(cert.name, days(ctx.flags));
    renewed++;
    ctx.out(`certificate "${cert.name}" renewed (expires in ${humanDuration(issued.notAfter.getTime() - ctx.now().getTime())})\n`);
  }
  if (all && renewed > 0) ctx.out("Restart the components using these certificates so that they pick them up.\n");
  return 0;
}

async function list(ctx: CommandContext, dir: string): Promise<number> {
  const output = ctx.flags.string("output");
  if (output !== undefined && output !== "json" && output !== "yaml") throw new UsageError("--output must be 'json' or 'yaml'");
  const certs = await (await loadPki(dir)).list();
  if (output) {
    ctx.out(formatData(certs.map((c) => ({ ...c, notBefore: c.notBefore.toISOString(), notAfter: c.notAfter.toISOString() })), output));
    return 0;
  }
  const rows = [
    ["NAME", "CN", "ISSUER", "USAGES", "EXPIRES"],
    ...certs.map((c) => [c.name, c.commonName, c.issuer ?? "<unknown>", c.isCa ? "ca" : c.usages.join(","), residual(c, ctx.now())]),
  ];
  ctx.out(alignTabs(rows.map((r) => r.join("\t")), TABLE_TABS).map((l) => `${l}\n`).join(""));
  return 0;
}

/** Time left, as kubeadm's RESIDUAL TIME: `364d`, `5h`, `<invalid>` once expired. */
function residual(cert: Pick<CertInfo, "notAfter">, now: Date): string {
  const ms = cert.notAfter.getTime() - now.getTime();
  return ms < 0 ? "<invalid>" : humanDuration(ms);
}

/** `NAME` or `NAME=ADDR` entries; a name repeated with several addresses gets them all. */
export function machines(entries: readonly string[]): MachineAddresses[] {
  const byName = new Map<string, string[]>();
  for (const entry of entries) {
    const eq = entry.indexOf("=");
    const name = eq < 0 ? entry : entry.slice(0, eq);
    if (!name) throw new UsageError(`"${entry}": a machine needs a name (NAME or NAME=ADDRESS)`);
    const addresses = byName.get(name) ?? [];
    if (eq >= 0 && entry.slice(eq + 1)) addresses.push(entry.slice(eq + 1));
    byName.set(name, addresses);
  }
  return [...byName].map(([name, addresses]) => ({ name, addresses }));
}

function sans(values: readonly string[]): SanList {
  return { dnsNames: values.filter((v) => isIP(v) === 0), ipAddresses: values.filter((v) => isIP(v) !== 0) };
}

function days(flags: Flags): { validityDays?: number } {
  const text = flags.string("days");
  if (text === undefined) return {};
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--days: "${text}" is not a positive number`);
  return { validityDays: n };
}

/** `30d`, `12h`, `90m`, `45s` in ms. */
export function parseSpan(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(d|h|m|s)$/.exec(text.trim());
  if (!m) throw new UsageError(`invalid duration "${text}": use e.g. 30d, 12h`);
  const unit = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 }[m[2] as "d" | "h" | "m" | "s"];
  return Number(m[1]) * unit;
}
