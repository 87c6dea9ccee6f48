// `kpctl config view|current-context|get-contexts|get-clusters|get-users|use-context|set-context|set-cluster|set-credentials`: the kubeconfig-shaped context file.
import { readFile } from "node:fs/promises";
import { UsageError } from "../args.js";
import { readContextFile, writeContextFile, type ContextFile } from "../context-config.js";
import { KpctlError } from "../errors.js";
import { kubeconfigDocument, kubectlKubeconfig, minified, setClusterRestServer, setClusterScheduler, upsert, type AuthInfo, type ClusterInfo, type NamedCluster, type NamedContext, type NamedUser } from "../kubeconfig.js";
import { alignTabs, TABLE_TABS } from "../printers/tab-writer.js";
import { formatData } from "../printers/yaml-json.js";
import type { Command, CommandContext } from "./command.js";

const SUBCOMMANDS =
  "view, current-context, get-contexts, get-clusters, get-users, use-context NAME, set-context [NAME | --current], set-cluster NAME, set-credentials NAME";

export const configCommand: Command = {
  name: "config",
  summary: `Modify the context file (~/.kubeplane/config, or $KUBEPLANE_CONFIG, or --config), a kubeconfig.\nSubcommands: ${SUBCOMMANDS}.`,
  usage: "kpctl config SUBCOMMAND [options]",
  examples: [
    "  # Show the context file (certificates and tokens redacted; --raw shows them)",
    "  kpctl config view",
    "",
    "  # A kubeconfig for kubectl: the current context, the cluster's REST API as its server",
    "  kpctl config view --kubeconfig --raw > kubeconfig && kubectl --kubeconfig kubeconfig get ns",
    "",
    "  # A cluster, a user with a client certificate, and a context joining them",
    "  kpctl config set-cluster local --server=127.0.0.1:6443 --rest-server=https://127.0.0.1:6444 --certificate-authority=pki/ca.crt --embed-certs",
    "  kpctl config set-credentials admin --client-certificate=pki/admin.crt --client-key=pki/admin.key --embed-certs",
    "  kpctl config set-context local --cluster=local --user=admin --namespace=default",
    "  kpctl config use-context local",
    "",
    "  # A user authenticating with a bearer token",
    "  kpctl config set-credentials ci --token=$(cat /var/run/secrets/kubernetes.io/serviceaccount/token)",
    "",
    "  # Change the namespace of the current context",
    "  kpctl config set-context --current --namespace=kube-system",
  ].join("\n"),
  flags: [
    { name: "current", type: "boolean", description: "set-context: modify the current context." },
    { name: "embed-certs", type: "boolean", description: "set-cluster, set-credentials: store the files' contents (…-data) instead of their paths." },
    { name: "raw", type: "boolean", description: "view: show certificate data and tokens." },
    { name: "minify", type: "boolean", description: "view: only the current context, its cluster and its user." },
    { name: "flatten", type: "boolean", description: "view: embed the files the entries name (certificate-authority, client-certificate, client-key) as …-data." },
    {
      name: "kubeconfig",
      type: "boolean",
      description: "view: a kubeconfig for kubectl (implies --minify): the server is the cluster's Kubernetes REST API (--rest-server of set-cluster, else https://HOST:6444 of the gRPC server's host). Add --raw for usable embedded credentials.",
    },
    { name: "rest-server", type: "string", description: "set-cluster: the Kubernetes REST API's URL (https://HOST:PORT), kubectl's server (config view --kubeconfig)." },
    { name: "scheduler", type: "string", description: "set-cluster: the scheduler's gRPC address (for explain-schedule)." },
    { name: "ca-file", type: "string", description: "set-context: CA certificate of the apiserver (sets the context's cluster; prefer set-cluster)." },
    { name: "cert-file", type: "string", description: "set-context: client certificate (sets the context's user; prefer set-credentials)." },
    { name: "key-file", type: "string", description: "set-context: client key (sets the context's user; prefer set-credentials)." },
    { name: "output", short: "o", type: "string", default: "yaml", description: "view: yaml or json." },
  ],
  async run(ctx) {
    const [sub, ...rest] = ctx.args;
    const path = ctx.configPath;
    const file = await readContextFile(path);
    switch (sub) {
      case "view": {
        const output = ctx.flags.string("output") === "json" ? "json" : "yaml";
        let view: ContextFile = ctx.flags.boolean("kubeconfig") ? kubectlKubeconfig(file) : ctx.flags.boolean("minify") ? minified(file) : file;
        if (ctx.flags.boolean("flatten")) view = await flattened(view);
        const shown = ctx.flags.boolean("raw") ? view : redacted(view);
        ctx.out(formatData(kubeconfigDocument(shown), output));
        return 0;
      }
      case "current-context":
        if (!file["current-context"]) throw new KpctlError("current-context is not set", "ECONFIG");
        ctx.out(`${file["current-context"]}\n`);
        return 0;
      case "get-contexts": {
        const rows = [
          ["CURRENT", "NAME", "CLUSTER", "AUTHINFO", "NAMESPACE"],
          ...file.contexts.map((c) => [c.name === file["current-context"] ? "*" : "", c.name, c.context.cluster, c.context.user ?? "", c.context.namespace ?? ""]),
        ];
        ctx.out(table(rows));
        return 0;
      }
      case "get-clusters":
        ctx.out(table([["NAME", "SERVER"], ...file.clusters.map((c) => [c.name, c.cluster.server ?? ""])]));
        return 0;
      case "get-users":
        ctx.out(table([["NAME"], ...file.users.map((u) => [u.name])]));
        return 0;
      case "use-context": {
        const name = one(rest, "use: kpctl config use-context CONTEXT_NAME");
        if (!file.contexts.some((c) => c.name === name)) throw new KpctlError(`no context exists with the name: "${name}"`, "ECONFIG");
        await writeContextFile(path, { ...file, "current-context": name });
        ctx.out(`Switched to context "${name}".\n`);
        return 0;
      }
      case "set-context":
        return await setContext(ctx, file, rest);
      case "set-cluster": {
        const name = one(rest, "use: kpctl config set-cluster NAME [--server=HOST:PORT] [--certificate-authority=FILE [--embed-certs]]");
        const { entry } = upsert<NamedCluster>(file.clusters, name, () => ({ name, cluster: {} }));
        const server = ctx.flags.string("server");
        if (server !== undefined) entry.cluster.server = server;
        await setFileOrData(ctx, entry.cluster, "certificate-authority", ctx.flags.string("certificate-authority"));
        const scheduler = ctx.flags.string("scheduler");
        if (scheduler !== undefined) setClusterScheduler(entry.cluster, scheduler);
        const restServer = ctx.flags.string("rest-server");
        if (restServer !== undefined) setClusterRestServer(entry.cluster, restServer);
        await writeContextFile(path, file);
        ctx.out(`Cluster "${name}" set.\n`);
        return 0;
      }
      case "set-credentials": {
        const name = one(rest, "use: kpctl config set-credentials NAME [--client-certificate=FILE --client-key=FILE [--embed-certs]] [--token=TOKEN]");
        const { entry } = upsert<NamedUser>(file.users, name, () => ({ name, user: {} }));
        await setFileOrData(ctx, entry.user, "client-certificate", ctx.flags.string("client-certificate"));
        await setFileOrData(ctx, entry.user, "client-key", ctx.flags.string("client-key"));
        const token = ctx.flags.string("token");
        if (token !== undefined) {
          if (token) entry.user.token = token;
          else delete entry.user.token;
        }
        await writeContextFile(path, file);
        ctx.out(`User "${name}" set.\n`);
        return 0;
      }
      default:
        throw new UsageError(sub ? `unknown config subcommand "${sub}"; one of: ${SUBCOMMANDS}` : `a subcommand is required: ${SUBCOMMANDS}`);
    }
  },
};

/**
 * `set-context NAME|--current [--cluster] [--user] [--namespace]`. The older `--server`, `--ca-file`,
 * `--cert-file`, `--key-file` still work: they set the context's cluster and user, created under the
 * context's name when it has none.
 */
async function setContext(ctx: CommandContext, file: ContextFile, rest: string[]): Promise<number> {
  const current = ctx.flags.boolean("current");
  const name = current ? file["current-context"] : rest[0];
  if (!name) throw new UsageError(current ? "no current context is set" : "use: kpctl config set-context NAME [--cluster=] [--user=] [--namespace=]");
  const { entry, created } = upsert<NamedContext>(file.contexts, name, () => ({ name, context: { cluster: "" } }));
  const context = entry.context;
  const set = (key: "cluster" | "user" | "namespace", flag: string): void => {
    const v = ctx.flags.string(flag);
    if (v === undefined) return;
    if (v || key === "cluster") context[key] = v;
    else delete context[key];
  };
  set("cluster", "cluster");
  set("user", "user");
  set("namespace", "namespace");

  const server = ctx.flags.string("server");
  const caFile = ctx.flags.string("ca-file");
  if (server !== undefined || caFile !== undefined) {
    if (!context.cluster) context.cluster = name;
    const { entry: cluster } = upsert<NamedCluster>(file.clusters, context.cluster, () => ({ name: context.cluster, cluster: {} }));
    if (server !== undefined) cluster.cluster.server = server;
    if (caFile !== undefined) {
      cluster.cluster["certificate-authority"] = caFile;
      delete cluster.cluster["certificate-authority-data"];
    }
  }
  const certFile = ctx.flags.string("cert-file");
  const keyFile = ctx.flags.string("key-file");
  if (certFile !== undefined || keyFile !== undefined) {
    if (!context.user) context.user = name;
    const userName = context.user;
    const { entry: user } = upsert<NamedUser>(file.users, userName, () => ({ name: userName, user: {} }));
    if (certFile !== undefined) {
      user.user["client-certificate"] = certFile;
      delete user.user["client-certificate-data"];
    }
    if (keyFile !== undefined) {
      user.user["client-key"] = keyFile;
      delete user.user["client-key-data"];
    }
  }
  await writeContextFile(ctx.configPath, file);
  ctx.out(`Context "${name}" ${created ? "created" : "modified"}.\n`);
  return 0;
}

/** Sets `key` to the path, or with --embed-certs `key-data` to the file's base64; the other form is dropped. */
async function setFileOrData<K extends "certificate-authority" | "client-certificate" | "client-key">(
  ctx: CommandContext,
  target: ClusterInfo & AuthInfo,
  key: K,
  file: string | undefined,
): Promise<void> {
  if (file === undefined) return;
  const dataKey = `${key}-data` as const;
  if (ctx.flags.boolean("embed-certs") && file) {
    let content: Buffer;
    try {
      content = await readFile(file);
    } catch (err) {
      throw new KpctlError(`error reading ${key} data from ${file}: ${(err as Error).message}`, "ECONFIG", { cause: err });
    }
    target[dataKey] = content.toString("base64");
    delete target[key];
  } else {
    if (file) target[key] = file;
    else delete target[key];
    delete target[dataKey];
  }
}

/** kubectl config view --flatten: each file an entry names becomes its `…-data` (base64 of the content). */
async function flattened(file: ContextFile): Promise<ContextFile> {
  const embed = async <T extends ClusterInfo & AuthInfo>(entry: T, key: "certificate-authority" | "client-certificate" | "client-key"): Promise<T> => {
    const path = entry[key];
    if (!path) return entry;
    let content: Buffer;
    try {
      content = await readFile(path);
    } catch (err) {
      throw new KpctlError(`error reading ${key} data from ${path}: ${(err as Error).message}`, "ECONFIG", { cause: err });
    }
    const out: T = { ...entry, [`${key}-data`]: content.toString("base64") };
    delete out[key];
    return out;
  };
  return {
    ...file,
    clusters: await Promise.all(file.clusters.map(async (c) => ({ name: c.name, cluster: await embed(c.cluster, "certificate-authority") }))),
    users: await Promise.all(file.users.map(async (u) => ({ name: u.name, user: await embed(await embed(u.user, "client-certificate"), "client-key") }))),
  };
}

/** kubectl config view's redaction: inline certificate data and tokens are not printed without --raw. */
function redacted(file: ContextFile): ContextFile {
  const omit = (v: string | undefined, mark: string): string | undefined => (v === undefined ? undefined : mark);
  return {
    ...file,
    clusters: file.clusters.map((c) => ({
      name: c.name,
      cluster: dropUndefined({ ...c.cluster, "certificate-authority-data": omit(c.cluster["certificate-authority-data"], "DATA+OMITTED") }),
    })),
    users: file.users.map((u) => ({
      name: u.name,
      user: dropUndefined({
        ...u.user,
        "client-certificate-data": omit(u.user["client-certificate-data"], "DATA+OMITTED"),
        "client-key-data": omit(u.user["client-key-data"], "DATA+OMITTED"),
        token: omit(u.user.token, "REDACTED"),
      }),
    })),
  };
}

function dropUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

function one(rest: string[], usage: string): string {
  const name = rest[0];
  if (!name || rest.length > 1) throw new UsageError(usage);
  return name;
}

function table(rows: string[][]): string {
  return alignTabs(rows.map((r) => r.join("\t")), TABLE_TABS).map((l) => `${l}\n`).join("");
}
