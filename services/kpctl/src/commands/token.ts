// `kpctl token create|list|delete` (kubeadm token): bootstrap tokens for joining nodes, as kube-system Secrets.
import { readFileSync } from "node:fs";
import {
  BOOTSTRAP_TOKEN_NAMESPACE,
  BOOTSTRAP_TOKEN_SECRET_TYPE,
  BootstrapTokenKeys,
  bootstrapSecretValue,
  bootstrapTokenExpiration,
  bootstrapTokenSecret,
  bootstrapTokenSecretName,
  coreV1Config,
  generateBootstrapToken,
  isValidBootstrapExtraGroup,
  kindFor,
  parseBootstrapToken,
} from "@kubeplane/api";
import { publicKeyHash } from "@kubeplane/pki";
import { parseDuration, UsageError } from "../args.js";
import type { Command, CommandContext } from "./command.js";

const secrets = kindFor("v1", "Secret")!;

/** The CA hash a joining node pins: of the CA this kpctl trusts (--certificate-authority or the context's). */
function caHash(ctx: CommandContext): string {
  const pem = ctx.settings.caData ?? (ctx.settings.caFile ? readFileSync(ctx.settings.caFile, "utf8") : undefined);
  if (!pem) throw new UsageError("--print-join-command needs the cluster CA: set --certificate-authority or a context with one");
  return publicKeyHash(pem);
}

async function create(ctx: CommandContext): Promise<number> {
  const given = ctx.args[1];
  const token = given ? parseBootstrapToken(given) : generateBootstrapToken();
  if (!token) throw new UsageError(`the token "${given}" does not match [a-z0-9]{6}.[a-z0-9]{16}`);
  const ttlMs = parseDuration(ctx.flags.string("ttl") ?? "24h");
  const groups = ctx.flags.strings("groups");
  const bad = groups.find((g) => !isValidBootstrapExtraGroup(g));
  if (bad) throw new UsageError(`--groups: "${bad}" must start with system:bootstrappers: (and end with a letter or digit)`);
  const secret = bootstrapTokenSecret({
    token,
    expires: ttlMs > 0 ? new Date(ctx.now().getTime() + ttlMs) : undefined,
    description: ctx.flags.string("description"),
    ...(groups.length ? { groups } : {}),
  });
  await ctx.client().json.create(secrets, coreV1Config.Secret.toJSON(secret) as Record<string, unknown>);
  const value = `${token.id}.${token.secret}`;
  if (!ctx.flags.boolean("print-join-command")) {
    ctx.out(`${value}\n`);
    return 0;
  }
  ctx.out(
    [
      "kubelet",
      `--apiserver=${ctx.settings.server}`,
      `--bootstrap-token=${value}`,
      `--ca-cert-hash=${caHash(ctx)}`,
      "--ca-file=/etc/kubeplane/pki/ca.crt",
      "--cert-dir=/var/lib/kubeplane/kubelet/pki",
      // NATS runs beside the apiserver on the control plane (its default port).
      `--nats-url=tls://${ctx.settings.server.split(",")[0]!.replace(/:\d+$/, "")}:4222`,
    ].join(" ") + "\n",
  );
  return 0;
}

async function list(ctx: CommandContext): Promise<number> {
  const reply = await ctx.client().json.list(secrets, { namespace: BOOTSTRAP_TOKEN_NAMESPACE, fieldSelector: `type=${BOOTSTRAP_TOKEN_SECRET_TYPE}` });
  const rows = reply.items.map((item) => {
    const s = coreV1Config.Secret.fromJSON(item);
    const expires = bootstrapTokenExpiration(s);
    const ttl = expires ? `${Math.max(0, Math.round((expires.getTime() - ctx.now().getTime()) / 3600_000))}h` : "<forever>";
    const usages = [BootstrapTokenKeys.usageAuthentication, BootstrapTokenKeys.usageSigning]
      .filter((k) => bootstrapSecretValue(s, k) === "true")
      .map((k) => k.replace("usage-bootstrap-", ""));
    return [
      `${bootstrapSecretValue(s, BootstrapTokenKeys.id)}.<secret>`,
      ttl,
      expires ? expires.toISOString().replace(/\.\d{3}Z$/, "Z") : "<never>",
      usages.join(","),
      bootstrapSecretValue(s, BootstrapTokenKeys.description) || "<none>",
      bootstrapSecretValue(s, BootstrapTokenKeys.extraGroups),
    ];
  });
  const header = ["TOKEN", "TTL", "EXPIRES", "USAGES", "DESCRIPTION", "EXTRA GROUPS"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const row of [header, ...rows]) ctx.out(row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]! + 3))).join("") + "\n");
  return 0;
}

async function remove(ctx: CommandContext): Promise<number> {
  const ids = ctx.args.slice(1);
  if (ids.length === 0) throw new UsageError("token delete needs at least one token id (or token)");
  for (const arg of ids) {
    const id = parseBootstrapToken(arg)?.id ?? arg;
    if (!/^[a-z0-9]{6}$/.test(id)) throw new UsageError(`"${arg}" is neither a token id ([a-z0-9]{6}) nor a token`);
    await ctx.client().json.delete(secrets, BOOTSTRAP_TOKEN_NAMESPACE, bootstrapTokenSecretName(id));
    ctx.out(`bootstrap token "${id}" deleted\n`);
  }
  return 0;
}

export const tokenCommand: Command = {
  name: "token",
  summary: "Manage bootstrap tokens: what a new node joins the cluster with (kubeadm token).",
  usage: "kpctl token create [TOKEN] [--ttl 24h] [--description TEXT] [--groups G] [--print-join-command]\n  kpctl token list\n  kpctl token delete TOKEN_ID...",
  examples: [
    "  # Create a token valid for 2 hours and print the kubelet command a new node runs",
    "  kpctl token create --ttl 2h --print-join-command",
    "  # List the tokens (their secret halves are never shown)",
    "  kpctl token list",
    "  # Revoke a token",
    "  kpctl token delete abcdef",
  ].join("\n"),
  flags: [
    { name: "ttl", type: "string", value: "DURATION", default: "24h", description: "How long the token is valid (0: forever)." },
    { name: "description", type: "string", description: "A human-readable note on what the token is for." },
    { name: "groups", type: "array", description: "Extra groups (system:bootstrappers:...) the token authenticates as; default system:bootstrappers:kubeadm:default-node-token." },
    { name: "print-join-command", type: "boolean", description: "Print the kubelet command line that joins a node with this token, instead of the token alone." },
  ],
  async run(ctx) {
    switch (ctx.args[0]) {
      case "create":
        return create(ctx);
      case "list":
        return list(ctx);
      case "delete":
        return remove(ctx);
      default:
        throw new UsageError(ctx.args[0] ? `unknown token subcommand "${ctx.args[0]}"` : "token needs a subcommand: create, list or delete");
    }
  },
};
