// Discovery: /version, /api, /apis and the resource lists of each group version, legacy and aggregated (apidiscovery.k8s.io/v2).
import { kindForVersion, kindsList, nodeMetricsInfo, podMetricsInfo, servedVersions, type KindInfo } from "@kubeplane/api";

/** The Kubernetes release whose API this one follows: kubectl picks its client by it (1.27–1.33 are installed here). */
export const KUBERNETES_COMPATIBILITY = { major: "1", minor: "32", patch: "0" } as const;

const ALL_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];
const READ_ONLY = ["get", "list"];
const METRICS_GROUP = "metrics.k8s.io";

/**
 * Every kind the REST API serves: the stored kinds at their preferred versions, the older versions
 * converted at the edge (autoscaling/v1 HorizontalPodAutoscalers), and the read-only metrics.k8s.io kinds.
 */
export const servedKinds: readonly KindInfo[] = [...kindsList, ...servedVersions, nodeMetricsInfo, podMetricsInfo];

/** The kind served at group/version/resource, or undefined. */
export function servedKind(group: string, version: string, resource: string): KindInfo | undefined {
  if (group === METRICS_GROUP) return servedKinds.find((k) => k.group === group && k.version === version && k.resource === resource);
  const info = kindForVersion(group, version, resource);
  return info?.version === version ? info : undefined;
}

/** Kinds that are only read (get, list): metrics.k8s.io's, computed from the kubelets on request. */
export function isReadOnly(info: KindInfo): boolean {
  return info.group === METRICS_GROUP;
}
const CREATE_ONLY = new Set(["authorization.k8s.io/subjectaccessreviews", "authorization.k8s.io/selfsubjectaccessreviews", "authentication.k8s.io/selfsubjectreviews"]);

interface Subresource {
  name: string;
  group: string;
  version: string;
  kind: string;
  verbs: string[];
}

/** The subresources a kind serves over REST (exec, attach and portforward are upgrades). */
export function subresourcesOf(info: KindInfo): Subresource[] {
  const subs: Subresource[] = [];
  if (isReadOnly(info)) return subs;
  const self = { group: info.group, version: info.version, kind: info.kind };
  if (info.hasStatus) subs.push({ name: "status", ...self, verbs: ["get", "patch", "update"] });
  if (info.hasScale) subs.push({ name: "scale", group: "autoscaling", version: "v1", kind: "Scale", verbs: ["get", "patch", "update"] });
  if (info.group === "" && info.resource === "pods") {
    subs.push(
      { name: "binding", group: "", version: "v1", kind: "Binding", verbs: ["create"] },
      { name: "eviction", group: "policy", version: "v1", kind: "Eviction", verbs: ["create"] },
      { name: "log", group: "", version: "v1", kind: "Pod", verbs: ["get"] },
      { name: "exec", group: "", version: "v1", kind: "PodExecOptions", verbs: ["create", "get"] },
      { name: "attach", group: "", version: "v1", kind: "PodAttachOptions", verbs: ["create", "get"] },
      { name: "portforward", group: "", version: "v1", kind: "PodPortForwardOptions", verbs: ["create", "get"] },
    );
  }
  if (info.group === "" && info.resource === "serviceaccounts") subs.push({ name: "token", group: "authentication.k8s.io", version: "v1", kind: "TokenRequest", verbs: ["create"] });
  if (info.resource === "certificatesigningrequests") subs.push({ name: "approval", ...self, verbs: ["get", "patch", "update"] });
  return subs;
}

export function verbsOf(info: KindInfo): string[] {
  if (isReadOnly(info)) return READ_ONLY;
  return CREATE_ONLY.has(`${info.group}/${info.resource}`) ? ["create"] : ALL_VERBS;
}

const categoriesOf = (info: KindInfo): string[] => (info.inAll ? ["all"] : []);

/** Group → versions → kinds, core ("") first, groups in a stable order. */
function groups(): Map<string, Map<string, KindInfo[]>> {
  const byGroup = new Map<string, Map<string, KindInfo[]>>([["", new Map()]]);
  for (const info of servedKinds) {
    const versions = byGroup.get(info.group) ?? new Map<string, KindInfo[]>();
    byGroup.set(info.group, versions);
    versions.set(info.version, [...(versions.get(info.version) ?? []), info]);
  }
  return byGroup;
}

export function versionInfo(kubeplaneVersion: string, platform: string): Record<string, string> {
  const { major, minor, patch } = KUBERNETES_COMPATIBILITY;
  return {
    major,
    minor,
    gitVersion: `v${major}.${minor}.${patch}-kubeplane.${kubeplaneVersion.replace(/^v/, "")}`,
    gitCommit: "",
    gitTreeState: "clean",
    buildDate: "",
    goVersion: `node${process.version}`,
    compiler: "tsc",
    platform,
  };
}

/** /api: the core group's versions. */
export function apiVersions(): Record<string, unknown> {
  return { kind: "APIVersions", versions: ["v1"], serverAddressByClientCIDRs: [] };
}

/** /apis: every named group and its versions. */
export function apiGroupList(): Record<string, unknown> {
  return { kind: "APIGroupList", apiVersion: "v1", groups: [...groups()].filter(([g]) => g !== "").map(([g, versions]) => apiGroup(g, [...versions.keys()])) };
}

function apiGroup(name: string, versions: string[]): Record<string, unknown> {
  const list = versions.map((version) => ({ groupVersion: `${name}/${version}`, version }));
  return { kind: "APIGroup", apiVersion: "v1", name, versions: list, preferredVersion: list[0] };
}

/** /apis/GROUP: one group, or undefined when it is not served. */
export function apiGroupOf(group: string): Record<string, unknown> | undefined {
  const versions = groups().get(group);
  return group && versions ? apiGroup(group, [...versions.keys()]) : undefined;
}

/** /api/v1 or /apis/GROUP/VERSION: the APIResourceList, or undefined when the group version is not served. */
export function apiResourceList(group: string, version: string): Record<string, unknown> | undefined {
  const kinds = groups().get(group)?.get(version);
  if (!kinds) return undefined;
  const resources: Record<string, unknown>[] = [];
  for (const info of kinds) {
    resources.push({
      name: info.resource,
      singularName: info.singular,
      namespaced: info.namespaced,
      kind: info.kind,
      verbs: verbsOf(info),
      ...(info.shortNames.length ? { shortNames: info.shortNames } : {}),
      ...(info.inAll ? { categories: categoriesOf(info) } : {}),
    });
    for (const sub of subresourcesOf(info)) {
      resources.push({
        name: `${info.resource}/${sub.name}`,
        singularName: "",
        namespaced: info.namespaced,
        ...(sub.group !== info.group || sub.version !== info.version ? { group: sub.group, version: sub.version } : {}),
        kind: sub.kind,
        verbs: sub.verbs,
      });
    }
  }
  return { kind: "APIResourceList", apiVersion: "v1", groupVersion: group ? `${group}/${version}` : version, resources };
}

/** The media type of aggregated discovery, which kubectl asks for first. */
export const AGGREGATED_DISCOVERY_TYPE = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

/** Whether the Accept header asks for aggregated discovery v2. */
export function wantsAggregated(accept: string | undefined): boolean {
  return !!accept && accept.split(",").some((t) => /g=apidiscovery\.k8s\.io/.test(t) && /v=v2(;|$|\s)/.test(t.replace(/\s/g, "") + ";") && /as=APIGroupDiscoveryList/.test(t));
}

/** Aggregated discovery of the core group (/api, legacy = true) or of the named groups (/apis). */
export function aggregatedDiscovery(legacy: boolean): Record<string, unknown> {
  const items = [...groups()]
    .filter(([g]) => (legacy ? g === "" : g !== ""))
    .map(([g, versions]) => ({
      metadata: { name: g, creationTimestamp: null },
      versions: [...versions].map(([version, kinds]) => ({
        version,
        freshness: "Current",
        resources: kinds.map((info) => ({
          resource: info.resource,
          responseKind: { group: info.group, version: info.version, kind: info.kind },
          scope: info.namespaced ? "Namespaced" : "Cluster",
          singularResource: info.singular,
          verbs: verbsOf(info),
          ...(info.shortNames.length ? { shortNames: info.shortNames } : {}),
          ...(info.inAll ? { categories: categoriesOf(info) } : {}),
          ...(subresourcesOf(info).length
            ? { subresources: subresourcesOf(info).map((s) => ({ subresource: s.name, responseKind: { group: s.group, version: s.version, kind: s.kind }, verbs: s.verbs })) }
            : {}),
        })),
      })),
    }));
  return { kind: "APIGroupDiscoveryList", apiVersion: "apidiscovery.k8s.io/v2", metadata: {}, items };
}
