// The context file (~/.kubeplane/config, kubeconfig-shaped) and how a run picks server, namespace and credentials: flag > env > file > default.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, isAbsolute, join } from "node:path";
import { parse, stringify } from "yaml";
import type { Flags } from "./args.js";
import { KpctlError } from "./errors.js";
import { clusterScheduler, kubeconfigDocument, parseKubeconfig, type Kubeconfig } from "./kubeconfig.js";

export const DEFAULT_SERVER = "127.0.0.1:6443";
export const DEFAULT_NAMESPACE = "default";
/** Where `explain-schedule` reaches the scheduler's gRPC listener by default. */
export const DEFAULT_SCHEDULER = "127.0.0.1:10259";

/** The context file: a kubeconfig. */
export type ContextFile = Kubeconfig;

/** What the command line and environment say, before the file is consulted. */
export interface ConnectionOverrides {
  server?: string;
  namespace?: string;
  context?: string;
  /** --cluster / --user: entries of the file to use instead of the context's. */
  cluster?: string;
  user?: string;
  /** --certificate-authority, --client-certificate, --client-key: files, instead of the file's. */
  certificateAuthority?: string;
  clientCertificate?: string;
  clientKey?: string;
  /** --token: a bearer token instead of the file's. */
  token?: string;
  timeoutMs?: number;
}

/**
 * Where and as whom a run connects, fully resolved. A `…Data` field (PEM, decoded from the file's
 * base64 `…-data`) wins over the matching file, as in client-go.
 */
export interface ConnectionSettings {
  server: string;
  namespace: string;
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  caData?: string;
  certData?: string;
  keyData?: string;
  /** Bearer token (ServiceAccount or bootstrap token). */
  token?: string;
  timeoutMs?: number;
  /** The cluster's scheduler address, when it names one. */
  scheduler?: string;
  /** The context used, if any. */
  context?: string;
  /** Act as this user and groups (--as, --as-group): kubectl's impersonation. */
  impersonate?: { user: string; groups: string[] };
}

/** The overrides the global flags carry (kubectl's names). */
export function connectionOverrides(flags: Flags, timeoutMs?: number): ConnectionOverrides {
  const overrides: ConnectionOverrides = {
    server: flags.string("server"),
    namespace: flags.string("namespace"),
    context: flags.string("context"),
    cluster: flags.string("cluster"),
    user: flags.string("user"),
    certificateAuthority: flags.string("certificate-authority"),
    clientCertificate: flags.string("client-certificate"),
    clientKey: flags.string("client-key"),
    token: flags.string("token"),
  };
  if (timeoutMs) overrides.timeoutMs = timeoutMs;
  return overrides;
}

/** The context file's path: --config, else $KUBEPLANE_CONFIG, else ~/.kubeplane/config. */
export function contextFilePath(flag: string | undefined, env: Record<string, string | undefined>): string {
  return flag || env.KUBEPLANE_CONFIG || join(env.HOME || homedir(), ".kubeplane", "config");
}

/** Reads the context file (kubeconfig or kpctl's older flat shape); missing is empty, malformed an error naming it. */
export async function readContextFile(path: string): Promise<ContextFile> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return parseKubeconfig(null, path);
    throw new KpctlError(`cannot read config file ${path}: ${(err as Error).message}`, "ECONFIG", { cause: err });
  }
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new KpctlError(`error loading config file "${path}": ${(err as Error).message}`, "ECONFIG", { cause: err });
  }
  return parseKubeconfig(doc, path);
}

/** Writes the file as a kubeconfig, 0600 (it may hold keys and tokens). */
export async function writeContextFile(path: string, file: ContextFile): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFile(path, stringify(kubeconfigDocument(file), { lineWidth: 0 }), { mode: 0o600 });
}

/**
 * Resolves the connection. Server: --server > $KUBEPLANE_SERVER > the cluster's > 127.0.0.1:6443.
 * Namespace: -n > $KUBEPLANE_NAMESPACE > the context's > "default". Context: --context >
 * current-context; cluster and user: --cluster / --user > the context's. Credentials: the flags >
 * the user's and cluster's `…-data` > their files. Relative file paths in the file are relative
 * to `configDir` (the file's directory), as kubectl reads them. Throws when --context names no context.
 */
export function resolveSettings(
  file: ContextFile,
  overrides: ConnectionOverrides,
  env: Record<string, string | undefined>,
  configDir?: string,
): ConnectionSettings {
  const contextName = overrides.context || file["current-context"];
  const context = contextName ? file.contexts.find((c) => c.name === contextName) : undefined;
  if (overrides.context && !context) throw new KpctlError(`context "${overrides.context}" does not exist`, "ECONFIG");
  const clusterName = overrides.cluster || context?.context.cluster;
  const cluster = clusterName ? file.clusters.find((c) => c.name === clusterName)?.cluster : undefined;
  const userName = overrides.user || context?.context.user;
  const user = userName ? file.users.find((u) => u.name === userName)?.user : undefined;
  const path = (p: string | undefined): string | undefined => (p && configDir && !isAbsolute(p) ? join(configDir, p) : p || undefined);

  const settings: ConnectionSettings = {
    server: overrides.server || env.KUBEPLANE_SERVER || cluster?.server || DEFAULT_SERVER,
    namespace: overrides.namespace || env.KUBEPLANE_NAMESPACE || context?.context.namespace || DEFAULT_NAMESPACE,
  };
  if (context) settings.context = context.name;
  const scheduler = clusterScheduler(cluster);
  if (scheduler) settings.scheduler = scheduler;
  pick(settings, "caFile", "caData", overrides.certificateAuthority, cluster?.["certificate-authority-data"], path(cluster?.["certificate-authority"]));
  pick(settings, "certFile", "certData", overrides.clientCertificate, user?.["client-certificate-data"], path(user?.["client-certificate"]));
  pick(settings, "keyFile", "keyData", overrides.clientKey, user?.["client-key-data"], path(user?.["client-key"]));
  const token = overrides.token || user?.token;
  if (token) settings.token = token;
  if (overrides.timeoutMs) settings.timeoutMs = overrides.timeoutMs;
  return settings;
}

/** One credential: the flag's file, else the file's inline data, else the file's path. */
function pick(
  settings: ConnectionSettings,
  fileKey: "caFile" | "certFile" | "keyFile",
  dataKey: "caData" | "certData" | "keyData",
  flag: string | undefined,
  data: string | undefined,
  file: string | undefined,
): void {
  if (flag) settings[fileKey] = flag;
  else if (data) settings[dataKey] = Buffer.from(data, "base64").toString("utf8");
  else if (file) settings[fileKey] = file;
}
