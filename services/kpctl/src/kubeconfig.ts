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

/** The cluster extension naming the Kubernetes REST API's URL (`kpctl config view --kubeconfig`: kubectl's server). */
export const REST_SERVER_EXTENSION = "kubeplane.io/rest-server";

/** The port of the apiserver's REST API by default (`--rest-listen`, docs/rest-api.md); 6443 is the gRPC API's. */
export const DEFAULT_REST_PORT = 6444;

/**
 * The REST API URL of a cluster: its `kubeplane.io/rest-server` extension, else derived from the gRPC
 * server's (the first one's) host with the default REST port (`10.0.0.1:6443` → `https://10.0.0.1:6444`);
 * undefined without either.
 */
export function clusterRestServer(cluster: ClusterInfo | undefined): string | undefined {
  const ext = cluster?.extensions?.find((e) => e.name === REST_SERVER_EXTENSION)?.extension;
  if (isRecord(ext) && typeof ext.server === "string" && ext.server) return ext.server;
  // kpctl's server may list several apiservers (HA: "10.0.0.1:6443,10.0.0.2:6443"); kubectl takes one.
  const grpc = cluster?.server?.split(",")[0]?.trim().replace(/^[a-z]+:\/\//, "");
  if (!grpc) return undefined;
  const colon = grpc.lastIndexOf(":");
  const host = colon > grpc.lastIndexOf("]") ? grpc.slice(0, colon) : grpc;
  return `https://${host}:${DEFAULT_REST_PORT}`;
}

export function setClusterRestServer(cluster: ClusterInfo, server: string): void {
  const others = (cluster.extensions ?? []).filter((e) => e.name !== REST_SERVER_EXTENSION);
  cluster.extensions = server ? [...others, { name: REST_SERVER_EXTENSION, extension: { server } }] : others;
  if (!cluster.extensions.length) delete cluster.extensions;
}

/** kubectl's `config view --minify`: the current context, its cluster and its user only. Throws when no current context is set or it is missing. */
export function minified(config: Kubeconfig): Kubeconfig {
  const name = config["current-context"];
  const context = config.contexts.find((c) => c.name === name);
  if (!name || !context) throw new KpctlError(name ? `current-context "${name}" does not exist` : "current-context must exist in order to minify", "ECONFIG");
  const out: Kubeconfig = {
    "current-context": name,
    contexts: [context],
    clusters: config.clusters.filter((c) => c.name === context.context.cluster),
    users: config.users.filter((u) => u.name === context.context.user),
  };
  if (config.preferences) out.preferences = config.preferences;
  return out;
}

/**
 * A kubeconfig kubectl uses for the current context: minified, each cluster's server replaced by its
 * REST API URL (`clusterRestServer`) and kpctl's extensions dropped; credentials stay as they are
 * (files or embedded data). Throws when a cluster has no server to derive the URL from.
 */
export function kubectlKubeconfig(config: Kubeconfig): Kubeconfig {
  const mini = minified(config);
  const clusterName = mini.contexts[0]!.context.cluster;
  if (!mini.clusters.length) throw new KpctlError(`cluster "${clusterName}" of context "${mini["current-context"]}" does not exist`, "ECONFIG");
  return {
    ...mini,
    clusters: mini.clusters.map(({ name, cluster }) => {
      const server = clusterRestServer(cluster);
      if (!server) throw new KpctlError(`cluster "${name}" has no server: set one with kpctl config set-cluster ${name} --rest-server=https://HOST:${DEFAULT_REST_PORT}`, "ECONFIG");
      const copy: ClusterInfo = { ...cluster, server };
      delete copy.extensions;
      return { name, cluster: copy };
    }),
  };
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
