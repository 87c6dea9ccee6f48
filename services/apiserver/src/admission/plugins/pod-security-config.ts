// PodSecurity's configuration from the apiserver's flags: the cluster default level of each mode and the exemptions.
import { DEFAULT_POD_SECURITY_CONFIGURATION, type PodSecurityConfiguration } from "./pod-security.js";
import { LATEST, parseLevel, parseVersion, type LevelVersion } from "./pod-security-levels.js";

/** The flags PodSecurity reads (Kubernetes' PodSecurityConfiguration defaults and exemptions, flattened). */
export interface PodSecurityFlags {
  /** `level` or `level:version` (`baseline`, `restricted:v1.30`); default privileged:latest. */
  podSecurityDefaultEnforce: string;
  podSecurityDefaultAudit: string;
  podSecurityDefaultWarn: string;
  podSecurityExemptUsernames: readonly string[];
  podSecurityExemptNamespaces: readonly string[];
  podSecurityExemptRuntimeClasses: readonly string[];
}

/** A PodSecurity flag that does not parse (the apiserver refuses to start). */
export class PodSecurityConfigError extends Error {
  override readonly name = "PodSecurityConfigError";
  readonly code = "POD_SECURITY_CONFIG";
}

function levelVersion(flag: string, text: string): LevelVersion {
  const [levelText = "", versionText] = text.split(":", 2);
  const level = parseLevel(levelText);
  const version = versionText === undefined ? LATEST : parseVersion(versionText);
  if (!level || !version) throw new PodSecurityConfigError(`${flag}: "${text}" must be privileged, baseline or restricted, optionally with :latest or :v1.x`);
  return { level, version };
}

/** Parses and validates the flags; throws PodSecurityConfigError for a bad level or version. */
export function podSecurityConfiguration(flags: Partial<PodSecurityFlags>): PodSecurityConfiguration {
  const defaults = DEFAULT_POD_SECURITY_CONFIGURATION.defaults;
  return {
    defaults: {
      enforce: flags.podSecurityDefaultEnforce ? levelVersion("podSecurityDefaultEnforce", flags.podSecurityDefaultEnforce) : defaults.enforce,
      audit: flags.podSecurityDefaultAudit ? levelVersion("podSecurityDefaultAudit", flags.podSecurityDefaultAudit) : defaults.audit,
      warn: flags.podSecurityDefaultWarn ? levelVersion("podSecurityDefaultWarn", flags.podSecurityDefaultWarn) : defaults.warn,
    },
    exemptions: {
      usernames: [...(flags.podSecurityExemptUsernames ?? [])],
      namespaces: [...(flags.podSecurityExemptNamespaces ?? [])],
      runtimeClasses: [...(flags.podSecurityExemptRuntimeClasses ?? [])],
    },
  };
}
