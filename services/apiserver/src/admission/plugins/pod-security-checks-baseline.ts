// The baseline Pod Security Standards controls (Kubernetes' k8s.io/pod-security-admission/policy), with its messages.
import type { coreV1Pod } from "@kubeplane/api";
import {
  ALLOWED,
  badContainers,
  containersPhrase,
  forbid,
  joinQuote,
  pluralize,
  sortedSet,
  v,
  visitContainers,
  type Check,
  type CheckPodFn,
  type CheckResult,
} from "./pod-security-check-helpers.js";

/** `pod and containers "a"`: who set a forbidden value. */
function setters(podIsBad: boolean, containers: readonly string[]): string {
  const parts = podIsBad ? ["pod"] : [];
  if (containers.length > 0) parts.push(containersPhrase(containers));
  return parts.join(" and ");
}

const windowsHostProcess: CheckPodFn = (_meta, spec) => {
  const containers = badContainers(spec, (c) => c.securityContext?.windowsOptions?.hostProcess === true);
  const pod = spec.securityContext?.windowsOptions?.hostProcess === true;
  if (!pod && containers.length === 0) return ALLOWED;
  return forbid("hostProcess", `${setters(pod, containers)} must not set securityContext.windowsOptions.hostProcess=true`);
};

const hostNamespaces: CheckPodFn = (_meta, spec) => {
  const set: string[] = [];
  if (spec.hostNetwork) set.push("hostNetwork=true");
  if (spec.hostPid) set.push("hostPID=true");
  if (spec.hostIpc) set.push("hostIPC=true");
  return set.length ? forbid("host namespaces", set.join(", ")) : ALLOWED;
};

const privileged: CheckPodFn = (_meta, spec) => {
  const containers = badContainers(spec, (c) => c.securityContext?.privileged === true);
  return containers.length ? forbid("privileged", `${containersPhrase(containers)} must not set securityContext.privileged=true`) : ALLOWED;
};

const DEFAULT_CAPABILITIES = new Set([
  "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
]);

const capabilitiesBaseline: CheckPodFn = (_meta, spec) => {
  const added: string[] = [];
  const containers = badContainers(spec, (c) => {
    const bad = (c.securityContext?.capabilities?.add ?? []).filter((cap) => !DEFAULT_CAPABILITIES.has(cap));
    added.push(...bad);
    return bad.length > 0;
  });
  if (containers.length === 0) return ALLOWED;
  return forbid("non-default capabilities", `${containersPhrase(containers)} must not include ${joinQuote(sortedSet(added))} in securityContext.capabilities.add`);
};

const hostPathVolumes: CheckPodFn = (_meta, spec) => {
  const volumes = spec.volumes.filter((vol) => vol.hostPath !== undefined).map((vol) => vol.name);
  return volumes.length ? forbid("hostPath volumes", `${pluralize("volume", "volumes", volumes.length)} ${joinQuote(volumes)}`) : ALLOWED;
};

const hostPorts: CheckPodFn = (_meta, spec) => {
  const ports: string[] = [];
  const containers = badContainers(spec, (c) => {
    const bad = c.ports.filter((p) => p.hostPort !== 0).map((p) => String(p.hostPort));
    ports.push(...bad);
    return bad.length > 0;
  });
  if (containers.length === 0) return ALLOWED;
  const sorted = sortedSet(ports);
  return forbid(
    "hostPort",
    `${containersPhrase(containers)} ${pluralize("uses", "use", containers.length)} ${pluralize("hostPort", "hostPorts", sorted.length)} ${sorted.join(", ")}`,
  );
};

function probeHosts(handler: { httpGet?: { host: string } | undefined; tcpSocket?: { host: string } | undefined } | undefined): string[] {
  if (!handler) return [];
  return [handler.httpGet?.host ?? "", handler.tcpSocket?.host ?? ""].filter((h) => h !== "");
}

const hostProbesAndHostLifecycle: CheckPodFn = (_meta, spec) => {
  const hosts: string[] = [];
  const containers = badContainers(spec, (c) => {
    const bad = [c.livenessProbe, c.readinessProbe, c.startupProbe, c.lifecycle?.postStart, c.lifecycle?.preStop].flatMap(probeHosts);
    hosts.push(...bad);
    return bad.length > 0;
  });
  if (containers.length === 0) return ALLOWED;
  const names = sortedSet(containers);
  const sorted = sortedSet(hosts);
  return forbid(
    "probe or lifecycle host",
    `${containersPhrase(names)} ${pluralize("uses", "use", names.length)} ${pluralize("probe or lifecycle host", "probe or lifecycle hosts", sorted.length)} ${joinQuote(sorted)}`,
  );
};

const APPARMOR_ANNOTATION_PREFIX = "container.apparmor.security.beta.kubernetes.io/";
const allowedAppArmorType = (t: string) => t === "RuntimeDefault" || t === "Localhost";
const allowedAppArmorAnnotation = (value: string) => value === "" || value === "runtime/default" || value.startsWith("localhost/");

/** Go's %q for the ASCII strings these messages quote. */
const quoted = (s: string) => JSON.stringify(s);

const appArmorProfile: CheckPodFn = (meta, spec) => {
  const badValues: string[] = [];
  const podType = spec.securityContext?.appArmorProfile?.type;
  const pod = podType !== undefined && !allowedAppArmorType(podType);
  if (pod) badValues.push(podType);
  const containers = badContainers(spec, (c) => {
    const t = c.securityContext?.appArmorProfile?.type;
    if (t === undefined || allowedAppArmorType(t)) return false;
    badValues.push(t);
    return true;
  });
  const parts = pod ? ["pod"] : [];
  if (containers.length) parts.push(containersPhrase(containers));
  const values = sortedSet(badValues);
  const annotations = Object.entries(meta?.annotations ?? {})
    .filter(([k, value]) => k.startsWith(APPARMOR_ANNOTATION_PREFIX) && !allowedAppArmorAnnotation(value))
    .map(([k, value]) => `${k}=${quoted(value)}`)
    .sort();
  if (annotations.length) {
    values.push(...annotations);
    parts.push(pluralize("annotation", "annotations", annotations.length));
  }
  if (parts.length === 0) return ALLOWED;
  return forbid(
    pluralize("forbidden AppArmor profile", "forbidden AppArmor profiles", values.length),
    `${parts.join(" and ")} must not set AppArmor profile type to ${joinQuote(values)}`,
  );
};

function seLinuxOptions(allowedTypes: ReadonlySet<string>): CheckPodFn {
  return (_meta, spec) => {
    const badTypes: string[] = [];
    let setUser = false;
    let setRole = false;
    const valid = (opts: coreV1Pod.SELinuxOptions): boolean => {
      let ok = true;
      if (!allowedTypes.has(opts.type)) {
        ok = false;
        badTypes.push(opts.type);
      }
      if (opts.user !== "") {
        ok = false;
        setUser = true;
      }
      if (opts.role !== "") {
        ok = false;
        setRole = true;
      }
      return ok;
    };
    const podOpts = spec.securityContext?.seLinuxOptions;
    const pod = podOpts !== undefined && !valid(podOpts);
    const containers = badContainers(spec, (c) => c.securityContext?.seLinuxOptions !== undefined && !valid(c.securityContext.seLinuxOptions));
    if (!pod && containers.length === 0) return ALLOWED;
    const data: string[] = [];
    const types = sortedSet(badTypes);
    if (types.length) data.push(`${pluralize("type", "types", types.length)} ${joinQuote(types)}`);
    if (setUser) data.push("user may not be set");
    if (setRole) data.push("role may not be set");
    return forbid("seLinuxOptions", `${setters(pod, containers)} set forbidden securityContext.seLinuxOptions: ${data.join("; ")}`);
  };
}

const SELINUX_TYPES_1_0 = new Set(["", "container_t", "container_init_t", "container_kvm_t"]);
const SELINUX_TYPES_1_31 = new Set([...SELINUX_TYPES_1_0, "container_engine_t"]);

/** Shared with the restricted profile, which from 1.35 runs it as its own control. */
export const procMount: CheckPodFn = (_meta, spec) => {
  const types: string[] = [];
  const containers = badContainers(spec, (c) => {
    const pm = c.securityContext?.procMount;
    if (pm === undefined || pm === "Default") return false;
    types.push(pm);
    return true;
  });
  if (containers.length === 0) return ALLOWED;
  return forbid("procMount", `${containersPhrase(containers)} must not set securityContext.procMount to ${joinQuote(sortedSet(types))}`);
};

const SECCOMP_POD_ANNOTATION = "seccomp.security.alpha.kubernetes.io/pod";
const SECCOMP_CONTAINER_ANNOTATION_PREFIX = "container.seccomp.security.alpha.kubernetes.io/";
const validSeccompAnnotation = (value: string) => value === "runtime/default" || value === "docker/default" || value.startsWith("localhost/");
export const validSeccompType = (t: string) => t === "RuntimeDefault" || t === "Localhost";

/** Before 1.19 the seccomp profile was set by annotations. */
const seccompProfileBaseline1_0: CheckPodFn = (meta, spec) => {
  const annotations = meta?.annotations ?? {};
  const forbidden: string[] = [];
  const podValue = annotations[SECCOMP_POD_ANNOTATION];
  if (podValue !== undefined && !validSeccompAnnotation(podValue)) forbidden.push(`${SECCOMP_POD_ANNOTATION}=${quoted(podValue)}`);
  visitContainers(spec, (c) => {
    const key = SECCOMP_CONTAINER_ANNOTATION_PREFIX + c.name;
    const value = annotations[key];
    if (value !== undefined && !validSeccompAnnotation(value)) forbidden.push(`${key}=${quoted(value)}`);
  });
  const sorted = sortedSet(forbidden);
  if (sorted.length === 0) return ALLOWED;
  return forbid("seccompProfile", `forbidden ${pluralize("annotation", "annotations", sorted.length)} ${sorted.join(", ")}`);
};

/** Explicitly set seccomp profile types that are neither RuntimeDefault nor Localhost (shared with the restricted check). */
export function explicitBadSeccomp(spec: coreV1Pod.PodSpec): { pod: boolean; containers: string[]; values: string[] } {
  const values: string[] = [];
  const podType = spec.securityContext?.seccompProfile?.type;
  const pod = podType !== undefined && !validSeccompType(podType);
  if (pod) values.push(podType);
  const containers = badContainers(spec, (c) => {
    const t = c.securityContext?.seccompProfile?.type;
    if (t === undefined || validSeccompType(t)) return false;
    values.push(t);
    return true;
  });
  return { pod, containers, values: sortedSet(values) };
}

export function seccompSettersResult(bad: { pod: boolean; containers: string[]; values: string[] }): CheckResult | undefined {
  if (!bad.pod && bad.containers.length === 0) return undefined;
  return forbid("seccompProfile", `${setters(bad.pod, bad.containers)} must not set securityContext.seccompProfile.type to ${joinQuote(bad.values)}`);
}

const seccompProfileBaseline1_19: CheckPodFn = (_meta, spec) => seccompSettersResult(explicitBadSeccomp(spec)) ?? ALLOWED;

function sysctls(allowed: ReadonlySet<string>): CheckPodFn {
  return (_meta, spec) => {
    const bad = (spec.securityContext?.sysctls ?? []).map((s) => s.name).filter((n) => !allowed.has(n));
    return bad.length ? forbid("forbidden sysctls", bad.join(", ")) : ALLOWED;
  };
}

const SYSCTLS_1_0 = new Set(["kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_unprivileged_port_start"]);
const SYSCTLS_1_27 = new Set([...SYSCTLS_1_0, "net.ipv4.ip_local_reserved_ports"]);
const SYSCTLS_1_29 = new Set([...SYSCTLS_1_27, "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes"]);
const SYSCTLS_1_32 = new Set([...SYSCTLS_1_29, "net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"]);

/** Every baseline control with the versions its behaviour changed at (Kubernetes' check IDs). */
export const BASELINE_CHECKS: readonly Check[] = [
  { id: "appArmorProfile", level: "baseline", versions: [{ minimumVersion: v(0), check: appArmorProfile }] },
  { id: "capabilities_baseline", level: "baseline", versions: [{ minimumVersion: v(0), check: capabilitiesBaseline }] },
  { id: "hostNamespaces", level: "baseline", versions: [{ minimumVersion: v(0), check: hostNamespaces }] },
  { id: "hostPathVolumes", level: "baseline", versions: [{ minimumVersion: v(0), check: hostPathVolumes }] },
  { id: "hostPorts", level: "baseline", versions: [{ minimumVersion: v(0), check: hostPorts }] },
  { id: "hostProbesAndHostLifecycle", level: "baseline", versions: [{ minimumVersion: v(34), check: hostProbesAndHostLifecycle }] },
  { id: "privileged", level: "baseline", versions: [{ minimumVersion: v(0), check: privileged }] },
  { id: "procMount", level: "baseline", versions: [{ minimumVersion: v(0), check: procMount }] },
  {
    id: "seLinuxOptions",
    level: "baseline",
    versions: [
      { minimumVersion: v(0), check: seLinuxOptions(SELINUX_TYPES_1_0) },
      { minimumVersion: v(31), check: seLinuxOptions(SELINUX_TYPES_1_31) },
    ],
  },
  {
    id: "seccompProfile_baseline",
    level: "baseline",
    versions: [
      { minimumVersion: v(0), check: seccompProfileBaseline1_0 },
      { minimumVersion: v(19), check: seccompProfileBaseline1_19 },
    ],
  },
  {
    id: "sysctls",
    level: "baseline",
    versions: [
      { minimumVersion: v(0), check: sysctls(SYSCTLS_1_0) },
      { minimumVersion: v(27), check: sysctls(SYSCTLS_1_27) },
      { minimumVersion: v(29), check: sysctls(SYSCTLS_1_29) },
      { minimumVersion: v(32), check: sysctls(SYSCTLS_1_32) },
    ],
  },
  { id: "windowsHostProcess", level: "baseline", versions: [{ minimumVersion: v(0), check: windowsHostProcess }] },
];

