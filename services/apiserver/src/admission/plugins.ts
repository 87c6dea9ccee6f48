// The one ordered list of admission plugins (kube-apiserver's AllOrderedPlugins), which of them are on by default,
// and --enable-admission-plugins / --disable-admission-plugins. Constructors only: no plugin registers itself.
import type { Logger } from "@kubeplane/service-kit";
import type { ApiserverConfig } from "../config.js";
import type { AdmissionPlugin } from "./chain.js";
import type { AdmissionStore } from "./interfaces.js";
import { DefaultStorageClass } from "./plugins/default-storage-class.js";
import { LimitRanger, limitRangeKind } from "./plugins/limit-ranger.js";
import { NamespaceLifecycle, type NamespaceSource } from "./plugins/namespace-lifecycle.js";
import { NodeRestriction } from "./plugins/node-restriction.js";
import { ObjectCache } from "./plugins/object-cache.js";
import { namespaceKind, PodSecurity } from "./plugins/pod-security.js";
import { podSecurityConfiguration } from "./plugins/pod-security-config.js";
import { quotaKind, ResourceQuotaAdmission } from "./plugins/resource-quota.js";
import { ServiceAccountAdmission } from "./plugins/service-account.js";

/** What plugin constructors get. */
export interface AdmissionPluginDeps {
  store: AdmissionStore;
  /** Namespaces and their change feed (the Registry), for NamespaceLifecycle's cache. */
  namespaces: NamespaceSource;
  config: ApiserverConfig;
  logger: Logger;
  /** Whether the apiserver issues ServiceAccount tokens (a signing key): without, pods get no token volume. */
  serviceAccountTokens: boolean;
}

export interface AdmissionPluginEntry {
  /** Kubernetes' plugin name, as the flags spell it. */
  readonly name: string;
  readonly enabledByDefault: boolean;
  /** Builds the plugin, or undefined when its prerequisites are missing (it is then skipped, as documented per plugin). */
  readonly create: (deps: AdmissionPluginDeps) => AdmissionPlugin | undefined;
}

/**
 * Every plugin we have, in Kubernetes' order (mutating ones run in this order, then validating ones
 * in this order): NamespaceLifecycle, LimitRanger, ServiceAccount, NodeRestriction, PodSecurity,
 * DefaultStorageClass, …, ResourceQuota last among the validating ones.
 */
export const admissionPluginOrder: readonly AdmissionPluginEntry[] = [
  { name: "NamespaceLifecycle", enabledByDefault: true, create: (d) => new NamespaceLifecycle(d.namespaces, d.logger) },
  { name: "LimitRanger", enabledByDefault: true, create: (d) => new LimitRanger(new ObjectCache(limitRangeKind, d.namespaces, d.logger)) },
  // The token volume needs tokens: without a signing key the plugin is off (a pod would mount a token it can never get).
  { name: "ServiceAccount", enabledByDefault: true, create: (d) => (d.serviceAccountTokens ? new ServiceAccountAdmission() : undefined) },
  // Not on by default in kube-apiserver (kubeadm turns it on); on here since every cluster we start has kubelets with node identities.
  { name: "NodeRestriction", enabledByDefault: true, create: () => new NodeRestriction() },
  // The configuration is parsed here, when the apiserver starts: a bad default level stops it.
  { name: "PodSecurity", enabledByDefault: true, create: (d) => new PodSecurity(podSecurityConfiguration(d.config), new ObjectCache(namespaceKind, d.namespaces, d.logger)) },
  { name: "DefaultStorageClass", enabledByDefault: true, create: (d) => new DefaultStorageClass(d.logger) },
  // Last: it charges usage, which only an admitted object may do.
  { name: "ResourceQuota", enabledByDefault: true, create: (d) => new ResourceQuotaAdmission(new ObjectCache(quotaKind, d.namespaces, d.logger)) },
];

/** An unknown plugin name in a flag (the apiserver refuses to start). */
export class UnknownAdmissionPluginError extends Error {
  override readonly name = "UnknownAdmissionPluginError";
  readonly code = "UNKNOWN_ADMISSION_PLUGIN";
}

/**
 * The names of the enabled plugins in order: the defaults, plus `enable`, minus `disable` (a name in
 * both is an error, as kube-apiserver's). Throws UnknownAdmissionPluginError for a name not in the list.
 */
export function enabledAdmissionPlugins(enable: readonly string[], disable: readonly string[]): string[] {
  const known = new Set(admissionPluginOrder.map((p) => p.name));
  for (const name of [...enable, ...disable]) {
    if (!known.has(name)) throw new UnknownAdmissionPluginError(`admission plugin "${name}" is unknown; known plugins: ${[...known].join(", ")}`);
  }
  const both = enable.filter((n) => disable.includes(n));
  if (both.length) throw new UnknownAdmissionPluginError(`admission plugins ${both.join(", ")} are both enabled and disabled`);
  return admissionPluginOrder.filter((p) => (p.enabledByDefault || enable.includes(p.name)) && !disable.includes(p.name)).map((p) => p.name);
}

/** Builds the enabled plugins, in order. */
export function newAdmissionPlugins(names: readonly string[], deps: AdmissionPluginDeps): AdmissionPlugin[] {
  return admissionPluginOrder.filter((p) => names.includes(p.name)).flatMap((p) => p.create(deps) ?? []);
}
