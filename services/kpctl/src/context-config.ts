// The context file (~/.kubeplane/config) and how a run picks its server and namespace: flag > env > file > default.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { parse, stringify } from "yaml";
import { KpctlError } from "./errors.js";
import { isRecord } from "./json-fields.js";

export const DEFAULT_SERVER = "127.0.0.1:6443";
export const DEFAULT_NAMESPACE = "default";
/** Where `explain-schedule` reaches the scheduler's gRPC listener by default. */
export const DEFAULT_SCHEDULER = "127.0.0.1:10259";

/** One named way to reach a cluster. */
export interface ContextEntry {
  name: string;
  server?: string;
  namespace?: string;
  /** The scheduler's gRPC address (for `explain-schedule`). */
  scheduler?: string;
  caFile?: string;
  certFile?: string;
  keyFile?: string;
}

/** The context file's YAML. */
export interface ContextFile {
  currentContext?: string;
  contexts: ContextEntry[];
}

/** What the command line and environment say, before the file is consulted. */
export interface ConnectionOverrides {
  server?: string;
  namespace?: string;
  context?: string;
  timeoutMs?: number;
}

/** Where and as whom a run connects, fully resolved. */
export interface ConnectionSettings {
  server: string;
  namespace: string;
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  timeoutMs?: number;
  /** The context's scheduler address, when it names one. */
  scheduler?: string;
  /** The context used, if any. */
  context?: string;
}

/** The context file's path: --config, else $KUBEPLANE_CONFIG, else ~/.kubeplane/config. */
export function contextFilePath(flag: string | undefined, env: Record<string, string | undefined>): string {
  return flag || env.KUBEPLANE_CONFIG || join(env.HOME || homedir(), ".kubeplane", "config");
}

/** Reads the context file; a missing file is an empty one, a malformed one an error naming it. */
export async function readContextFile(path: string): Promise<ContextFile> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { contexts: [] };
    throw new KpctlError(`cannot read config file ${path}: ${(err as Error).message}`, "ECONFIG", { cause: err });
  }
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new KpctlError(`error loading config file "${path}": ${(err as Error).message}`, "ECONFIG", { cause: err });
  }
  if (doc == null) return { contexts: [] };
  if (!isRecord(doc)) throw new KpctlError(`error loading config file "${path}": not a mapping`, "ECONFIG");
  const contexts = Array.isArray(doc.contexts) ? doc.contexts.filter(isRecord).map(toEntry) : [];
  return { currentContext: typeof doc.currentContext === "string" ? doc.currentContext : undefined, contexts };
}

function toEntry(raw: Record<string, unknown>): ContextEntry {
  const entry: ContextEntry = { name: String(raw.name ?? "") };
  for (const key of ["server", "namespace", "scheduler", "caFile", "certFile", "keyFile"] as const) {
    if (typeof raw[key] === "string") entry[key] = raw[key];
  }
  return entry;
}

export async function writeContextFile(path: string, file: ContextFile): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const doc: Record<string, unknown> = {};
  if (file.currentContext) doc.currentContext = file.currentContext;
  doc.contexts = file.contexts;
  await writeFile(path, stringify(doc), { mode: 0o600 });
}

/**
 * Resolves the connection. Server: --server > $KUBEPLANE_SERVER > the context's > 127.0.0.1:6443.
 * Namespace: -n > $KUBEPLANE_NAMESPACE > the context's > "default". Context: --context > currentContext.
 * Throws when a named context does not exist.
 */
export function resolveSettings(file: ContextFile, overrides: ConnectionOverrides, env: Record<string, string | undefined>): ConnectionSettings {
  const contextName = overrides.context || file.currentContext;
  const context = contextName ? file.contexts.find((c) => c.name === contextName) : undefined;
  if (overrides.context && !context) throw new KpctlError(`context "${overrides.context}" does not exist`, "ECONFIG");
  const settings: ConnectionSettings = {
    server: overrides.server || env.KUBEPLANE_SERVER || context?.server || DEFAULT_SERVER,
    namespace: overrides.namespace || env.KUBEPLANE_NAMESPACE || context?.namespace || DEFAULT_NAMESPACE,
  };
  if (context) settings.context = context.name;
  if (context?.scheduler) settings.scheduler = context.scheduler;
  if (context?.caFile) settings.caFile = context.caFile;
  if (context?.certFile) settings.certFile = context.certFile;
  if (context?.keyFile) settings.keyFile = context.keyFile;
  if (overrides.timeoutMs) settings.timeoutMs = overrides.timeoutMs;
  return settings;
}
