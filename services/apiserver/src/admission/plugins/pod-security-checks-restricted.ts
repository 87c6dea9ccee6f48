// The restricted Pod Security Standards controls (Kubernetes' k8s.io/pod-security-admission/policy), with its messages.
import type { coreV1Volume } from "@kubeplane/api";
import { explicitBadSeccomp, procMount, seccompSettersResult } from "./pod-security-checks-baseline.js";
import {
  ALLOWED,
  badContainers,
  containersPhrase,
  forbid,
  isWindowsPod,
  joinQuote,
  pluralize,
  sortedSet,
  v,
  type Check,
  type CheckPodFn,
} from "./pod-security-check-helpers.js";

/** From 1.25 a pod with spec.os.name=windows is exempt (these fields do not apply to it). */
const unlessWindows =
  (check: CheckPodFn): CheckPodFn =>
  (meta, spec) =>
    isWindowsPod(spec) ? ALLOWED : check(meta, spec);

const allowPrivilegeEscalation: CheckPodFn = (_meta, spec) => {
  const containers = badContainers(spec, (c) => c.securityContext?.allowPrivilegeEscalation !== false);
  if (containers.length === 0) return ALLOWED;
  return forbid("allowPrivilegeEscalation != false", `${containersPhrase(containers)} must set securityContext.allowPrivilegeEscalation=false`);
};

const capabilitiesRestricted: CheckPodFn = (_meta, spec) => {
  const forbiddenCaps: string[] = [];
  const missingDropAll = badContainers(spec, (c) => !(c.securityContext?.capabilities?.drop ?? []).includes("ALL"));
  const adding = badContainers(spec, (c) => {
    const bad = (c.securityContext?.capabilities?.add ?? []).filter((cap) => cap !== "NET_BIND_SERVICE");
    forbiddenCaps.push(...bad);
    return bad.length > 0;
  });
  const details: string[] = [];
  if (missingDropAll.length) details.push(`${containersPhrase(missingDropAll)} must set securityContext.capabilities.drop=["ALL"]`);
  if (adding.length) details.push(`${containersPhrase(adding)} must not include ${joinQuote(sortedSet(forbiddenCaps))} in securityContext.capabilities.add`);
  return details.length ? forbid("unrestricted capabilities", details.join("; ")) : ALLOWED;
};

const runAsNonRoot: CheckPodFn = (_meta, spec) => {
  const podValue = spec.securityContext?.runAsNonRoot;
  const explicit = badContainers(spec, (c) => c.securityContext?.runAsNonRoot === false);
  const implicit = badContainers(spec, (c) => c.securityContext?.runAsNonRoot === undefined && podValue !== true);
  const setters = podValue === false ? ["pod"] : [];
  if (explicit.length) setters.push(containersPhrase(explicit));
  if (setters.length) return forbid("runAsNonRoot != true", `${setters.join(" and ")} must not set securityContext.runAsNonRoot=false`);
  if (implicit.length) return forbid("runAsNonRoot != true", `pod or ${containersPhrase(implicit)} must set securityContext.runAsNonRoot=true`);
  return ALLOWED;
};

const runAsUser: CheckPodFn = (_meta, spec) => {
  const setters = spec.securityContext?.runAsUser === 0 ? ["pod"] : [];
  const containers = badContainers(spec, (c) => c.securityContext?.runAsUser === 0);
  if (containers.length) setters.push(containersPhrase(containers));
  return setters.length ? forbid("runAsUser=0", `${setters.join(" and ")} must not set runAsUser=0`) : ALLOWED;
};

const seccompProfileRestricted: CheckPodFn = (_meta, spec) => {
  const explicit = explicitBadSeccomp(spec);
  const refused = seccompSettersResult(explicit);
  if (refused) return refused;
  const podType = spec.securityContext?.seccompProfile?.type;
  const podSet = podType !== undefined;
  const implicit = badContainers(spec, (c) => c.securityContext?.seccompProfile === undefined && !podSet);
  if (implicit.length === 0) return ALLOWED;
  return forbid("seccompProfile", `pod or ${containersPhrase(implicit)} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"`);
};

/** The inline volume sources restricted allows; every other one is refused by its name. */
function restrictedVolumeType(vol: coreV1Volume.Volume): string | undefined {
  if (vol.configMap || vol.csi || vol.downwardApi || vol.emptyDir || vol.persistentVolumeClaim || vol.projected || vol.secret) return undefined;
  return vol.hostPath ? "hostPath" : "unknown";
}

const restrictedVolumes: CheckPodFn = (_meta, spec) => {
  const volumes: string[] = [];
  const types: string[] = [];
  for (const vol of spec.volumes) {
    const t = restrictedVolumeType(vol);
    if (t === undefined) continue;
    volumes.push(vol.name);
    types.push(t);
  }
  if (volumes.length === 0) return ALLOWED;
  const sortedTypes = sortedSet(types);
  return forbid(
    "restricted volume types",
    `${pluralize("volume", "volumes", volumes.length)} ${joinQuote(volumes)} ${pluralize("uses", "use", volumes.length)} ${pluralize("restricted volume type", "restricted volume types", sortedTypes.length)} ${joinQuote(sortedTypes)}`,
  );
};

/** Every restricted control; `overrides` names the baseline control a stricter one replaces. */
export const RESTRICTED_CHECKS: readonly Check[] = [
  {
    id: "allowPrivilegeEscalation",
    level: "restricted",
    versions: [
      { minimumVersion: v(8), check: allowPrivilegeEscalation },
      { minimumVersion: v(25), check: unlessWindows(allowPrivilegeEscalation) },
    ],
  },
  {
    id: "capabilities_restricted",
    level: "restricted",
    versions: [
      { minimumVersion: v(22), check: capabilitiesRestricted, overrides: ["capabilities_baseline"] },
      { minimumVersion: v(25), check: unlessWindows(capabilitiesRestricted), overrides: ["capabilities_baseline"] },
    ],
  },
  // From 1.35 baseline may relax procMount for pods in a user namespace (not implemented here); restricted keeps it strict.
  { id: "procMount_restricted", level: "restricted", versions: [{ minimumVersion: v(35), check: procMount, overrides: ["procMount"] }] },
  { id: "restrictedVolumes", level: "restricted", versions: [{ minimumVersion: v(0), check: restrictedVolumes, overrides: ["hostPathVolumes"] }] },
  { id: "runAsNonRoot", level: "restricted", versions: [{ minimumVersion: v(0), check: runAsNonRoot }] },
  { id: "runAsUser", level: "restricted", versions: [{ minimumVersion: v(23), check: runAsUser }] },
  {
    id: "seccompProfile_restricted",
    level: "restricted",
    versions: [
      { minimumVersion: v(19), check: seccompProfileRestricted, overrides: ["seccompProfile_baseline"] },
      { minimumVersion: v(25), check: unlessWindows(seccompProfileRestricted), overrides: ["seccompProfile_baseline"] },
    ],
  },
];
