// kpctl's context file in kubeconfig's shape (clusters, users, contexts, current-context), and the older flat shape it replaces.
import { KpctlError } from "./errors.js";
import { isRecord } from "./json-fields.js";

/** Where a cluster is and how to trust it (kubeconfig's `cluster`). */
export interface ClusterInfo {
  server?: string;
  "certificate-authority"?: string;
  /** Base64 of the CA's PEM. */
  "certificate-authority-data"?: string;
  /** kubeconfig's NamedExtension list; kpctl keeps the scheduler's address here. */
  extensions?: NamedExtension[];
}

/** Who the user is (kubeconfig's `user`, an AuthInfo): a client certificate, a bearer token, or both. */
export interface AuthInfo {
  "client-certificate"?: string;
  /** Base64 of the certificate's PEM. */
  "client-certificate-data"?: string;
  "client-key"?: string;
  /** Base64 of the key's PEM. */
  "client-key-data"?: string;
  token?: string;
}

/** A context: a cluster, a user and a default namespace, by name. */
export interface ContextInfo {
  cluster: string;
  user?: string;
  namespace?: string;
}

export interface NamedExtension {
  name: string;
  extension: unknown;
}
export interface NamedCluster {
  name: string;
  cluster: ClusterInfo;
}
export interface NamedUser {
  name: string;
  user: AuthInfo;
}
export interface NamedContext {
  name: string;
  context: ContextInfo;
}

/** The context file (`apiVersion: v1`, `kind: Config`), as kubectl reads a kubeconfig. */
export interface Kubeconfig {
  "current-context"?: string;
  clusters: NamedCluster[];
  users: NamedUser[];
  contexts: NamedContext[];
  /** Kept as found, so a file shared with kubectl keeps its preferences. */
  preferences?: Record<string, unknown>;
}

/** The cluster extension naming the scheduler's gRPC address (`kpctl explain-schedule`). */
export const SCHEDULER_EXTENSION = "kubeplane.io/scheduler";

export function emptyKubeconfig(): Kubeconfig {
  return { clusters: [], users: [], contexts: [] };
}

/**
 * Reads a parsed YAML document: a kubeconfig, or kpctl's earlier flat shape
 * (`currentContext`, `contexts: [{name, server, namespace, scheduler, caFile, certFile, keyFile}]`),
 * which becomes one cluster and one user per context, both named after it.
 */
export function parseKubeconfig(doc: unknown, path: string): Kubeconfig {
  if (doc == null) return emptyKubeconfig();
  if (!isRecord(doc)) throw new KpctlError(`error loading config file "${path}": not a mapping`, "ECONFIG");
  if (isLegacy(doc)) return fromLegacy(doc);
  const list = (key: string): Array<Record<string, unknown>> => (Array.isArray(doc[key]) ? doc[key].filter(isRecord) : []);
  const config: Kubeconfig = {
    clusters: list("clusters").map((c) => ({ name: text(c.name) ?? "", cluster: strings(c.cluster, clusterKeys, true) })),
    users: list("users").map((u) => ({ name: text(u.name) ?? "", user: strings(u.user, userKeys, false) })),
    contexts: list("contexts").map((c) => {
      const raw = isRecord(c.context) ? c.context : {};
      const context: ContextInfo = { cluster: text(raw.cluster) ?? "" };
      if (text(raw.user)) context.user = text(raw.user);
      if (text(raw.namespace)) context.namespace = text(raw.namespace);
      return { name: text(c.name) ?? "", context };
    }),
  };
  const current = text(doc["current-context"]);
  if (current) config["current-context"] = current;
  if (isRecord(doc.preferences)) config.preferences = doc.preferences;
  return config;
}

/** The document to write, keys in kubectl's order (`kubectl config view`). */
export function kubeconfigDocument(config: Kubeconfig): Record<string, unknown> {
  return {
    apiVersion: "v1",
    clusters: config.clusters,
    contexts: config.contexts,
    "current-context": config["current-context"] ?? "",
    kind: "Config",
    preferences: config.preferences ?? {},
    users: config.users,
  };
}

/** The scheduler address recorded on a cluster, if any. */
export function clusterScheduler(cluster: ClusterInfo | undefined): string | undefined {
  const ext = cluster?.extensions?.find((e) => e.name === SCHEDULER_EXTENSION)?.extension;
  return isRecord(ext) && typeof ext.server === "string" ? ext.server : undefined;
}

export function setClusterScheduler(cluster: ClusterInfo, server: string): void {
  const others = (cluster.extensions ?? []).filter((e) => e.name !== SCHEDULER_EXTENSION);
  cluster.extensions = [...others, { name: SCHEDULER_EXTENSION, extension: { server } }];
}

/** The named entry of a list, created (and appended) when missing; `created` says which. */
export function upsert<T extends { name: string }>(list: T[], name: string, make: () => T): { entry: T; created: boolean } {
  const found = list.find((e) => e.name === name);
  if (found) return { entry: found, created: false };
  const entry = make();
  list.push(entry);
  return { entry, created: true };
}

const clusterKeys = ["server", "certificate-authority", "certificate-authority-data"] as const;
const userKeys = ["client-certificate", "client-certificate-data", "client-key", "client-key-data", "token"] as const;

function strings<K extends string>(raw: unknown, keys: readonly K[], extensions: boolean): Partial<Record<K, string>> & { extensions?: NamedExtension[] } {
  type Out = Partial<Record<K, string>> & { extensions?: NamedExtension[] };
  const out: Record<string, unknown> = {};
  if (!isRecord(raw)) return out as Out;
  for (const key of keys) {
    const v = text(raw[key]);
    if (v !== undefined) out[key] = v;
  }
  if (extensions && Array.isArray(raw.extensions)) {
    out.extensions = raw.extensions.filter(isRecord).map((e) => ({ name: text(e.name) ?? "", extension: e.extension }));
  }
  return out as Out;
}

function text(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}

function isLegacy(doc: Record<string, unknown>): boolean {
  if (doc.kind === "Config" || Array.isArray(doc.clusters) || Array.isArray(doc.users) || "current-context" in doc) return false;
  return "currentContext" in doc || (Array.isArray(doc.contexts) && doc.contexts.some((c) => isRecord(c) && !isRecord(c.context)));
}

function fromLegacy(doc: Record<string, unknown>): Kubeconfig {
  const config = emptyKubeconfig();
  const current = text(doc.currentContext);
  if (current) config["current-context"] = current;
  for (const raw of Array.isArray(doc.contexts) ? doc.contexts.filter(isRecord) : []) {
    const name = text(raw.name) ?? "";
    const cluster: ClusterInfo = {};
    if (text(raw.server)) cluster.server = text(raw.server);
    if (text(raw.caFile)) cluster["certificate-authority"] = text(raw.caFile);
    const scheduler = text(raw.scheduler);
    if (scheduler) setClusterScheduler(cluster, scheduler);
    config.clusters.push({ name, cluster });
    const context: ContextInfo = { cluster: name };
    if (text(raw.certFile) || text(raw.keyFile)) {
      const user: AuthInfo = {};
      if (text(raw.certFile)) user["client-certificate"] = text(raw.certFile);
      if (text(raw.keyFile)) user["client-key"] = text(raw.keyFile);
      config.users.push({ name, user });
      context.user = name;
    }
    if (text(raw.namespace)) context.namespace = text(raw.namespace);
    config.contexts.push({ name, context });
  }
  return config;
}
