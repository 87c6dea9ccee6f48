// Table-driven unit tests of every Pod Security Standards control: each violation's reason and detail, as Kubernetes words them.
import assert from "node:assert/strict";
import { test } from "node:test";
import { coreV1Pod, metaV1 } from "@kubeplane/api";
import { evaluatePod, forbiddenDetail } from "./pod-security-evaluator.js";
import { LATEST, type Level, type Version } from "./pod-security-levels.js";

/** A restricted-compliant container named `name`, with `sc` merged into its securityContext. */
function container(name: string, sc: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name,
    image: "nginx:1.27",
    securityContext: { allowPrivilegeEscalation: false, runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" }, capabilities: { drop: ["ALL"] }, ...sc },
    ...extra,
  };
}

function spec(partial: Record<string, unknown>): coreV1Pod.PodSpec {
  return coreV1Pod.PodSpec.fromJSON({ containers: [container("c")], ...partial });
}

function detailsAt(level: Level, s: coreV1Pod.PodSpec, annotations: Record<string, string> = {}, version: Version = LATEST): string {
  return forbiddenDetail(evaluatePod({ level, version }, metaV1.ObjectMeta.fromJSON({ name: "p", annotations }), s));
}

test("a restricted-compliant pod passes every level", () => {
  for (const level of ["privileged", "baseline", "restricted"] as const) assert.equal(detailsAt(level, spec({})), "", level);
});

test("each baseline control refuses with Kubernetes' reason and detail", () => {
  const cases: [string, coreV1Pod.PodSpec, string, Record<string, string>?][] = [
    ["hostProcess", spec({ securityContext: { windowsOptions: { hostProcess: true } }, containers: [container("c", { windowsOptions: { hostProcess: true } })] }),
      'hostProcess (pod and container "c" must not set securityContext.windowsOptions.hostProcess=true)'],
    ["host namespaces", spec({ hostNetwork: true, hostPID: true, hostIPC: true }), "host namespaces (hostNetwork=true, hostPID=true, hostIPC=true)"],
    ["privileged", spec({ containers: [container("a", { privileged: true }), container("b", { privileged: true })] }),
      'privileged (containers "a", "b" must not set securityContext.privileged=true)'],
    ["capabilities", spec({ containers: [container("c", { capabilities: { add: ["NET_RAW", "CHOWN", "SYS_ADMIN"], drop: ["ALL"] } })] }),
      'non-default capabilities (container "c" must not include "NET_RAW", "SYS_ADMIN" in securityContext.capabilities.add)'],
    ["hostPath volumes", spec({ volumes: [{ name: "root", hostPath: { path: "/" } }, { name: "tmp", emptyDir: {} }] }), 'hostPath volumes (volume "root")'],
    ["host ports", spec({ containers: [container("c", {}, { ports: [{ containerPort: 80, hostPort: 8080 }, { containerPort: 81, hostPort: 443 }] })] }),
      'hostPort (container "c" uses hostPorts 443, 8080)'],
    ["probe host", spec({ containers: [container("c", {}, { livenessProbe: { httpGet: { port: 80, host: "10.0.0.1" } } })] }),
      'probe or lifecycle host (container "c" uses probe or lifecycle host "10.0.0.1")'],
    ["AppArmor", spec({ containers: [container("c", { appArmorProfile: { type: "Unconfined" } })] }),
      'forbidden AppArmor profile (container "c" must not set AppArmor profile type to "Unconfined")'],
    ["AppArmor annotation", spec({}), 'forbidden AppArmor profile (annotation must not set AppArmor profile type to "container.apparmor.security.beta.kubernetes.io/c="unconfined"")',
      { "container.apparmor.security.beta.kubernetes.io/c": "unconfined" }],
    ["SELinux", spec({ securityContext: { seLinuxOptions: { type: "spc_t", user: "root" } } }),
      'seLinuxOptions (pod set forbidden securityContext.seLinuxOptions: type "spc_t"; user may not be set)'],
    ["procMount", spec({ containers: [container("c", { procMount: "Unmasked" })] }), 'procMount (container "c" must not set securityContext.procMount to "Unmasked")'],
    ["seccomp", spec({ securityContext: { seccompProfile: { type: "Unconfined" } } }), 'seccompProfile (pod must not set securityContext.seccompProfile.type to "Unconfined")'],
    ["sysctls", spec({ securityContext: { sysctls: [{ name: "kernel.msgmax", value: "1" }, { name: "net.ipv4.tcp_syncookies", value: "1" }] } }), "forbidden sysctls (kernel.msgmax)"],
  ];
  // Restricted replaces two baseline controls by stricter ones of its own.
  const replacedBy: Record<string, string> = { "non-default capabilities": "unrestricted capabilities", "hostPath volumes": "restricted volume types" };
  for (const [name, s, expected, annotations] of cases) {
    assert.equal(detailsAt("baseline", s, annotations), expected, name);
    const reason = expected.split(" (")[0]!;
    assert.ok(detailsAt("restricted", s, annotations).includes(`${replacedBy[reason] ?? reason} (`), `${name} also refused by restricted`);
  }
});

test("each restricted control refuses with Kubernetes' reason and detail; baseline allows them", () => {
  const cases: [string, coreV1Pod.PodSpec, string][] = [
    ["allowPrivilegeEscalation", spec({ containers: [container("c", { allowPrivilegeEscalation: undefined })] }),
      'allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false)'],
    ["capabilities", spec({ containers: [container("c", { capabilities: { add: ["NET_BIND_SERVICE", "CHOWN"] } })] }),
      'unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"]; container "c" must not include "CHOWN" in securityContext.capabilities.add)'],
    ["runAsNonRoot implicit", spec({ containers: [container("c", { runAsNonRoot: undefined })] }), 'runAsNonRoot != true (pod or container "c" must set securityContext.runAsNonRoot=true)'],
    ["runAsNonRoot explicit", spec({ securityContext: { runAsNonRoot: false } }), "runAsNonRoot != true (pod must not set securityContext.runAsNonRoot=false)"],
    ["runAsUser", spec({ containers: [container("c", { runAsUser: 0 })] }), 'runAsUser=0 (container "c" must not set runAsUser=0)'],
    ["seccomp unset", spec({ containers: [container("c", { seccompProfile: undefined })] }),
      'seccompProfile (pod or container "c" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")'],
    ["volume types", spec({ volumes: [{ name: "data", hostPath: { path: "/data" } }] }), 'restricted volume types (volume "data" uses restricted volume type "hostPath")'],
  ];
  for (const [name, s, expected] of cases) {
    assert.equal(detailsAt("restricted", s), expected, name);
    if (name !== "volume types") assert.equal(detailsAt("baseline", s), "", `${name} is not a baseline control`);
  }
});

test("a pod-level runAsNonRoot or seccomp profile covers containers that leave it unset", () => {
  const s = spec({
    securityContext: { runAsNonRoot: true, seccompProfile: { type: "Localhost", localhostProfile: "p.json" } },
    containers: [container("c", { runAsNonRoot: undefined, seccompProfile: undefined })],
  });
  assert.equal(detailsAt("restricted", s), "");
});

test("violations are listed baseline first, then restricted, each group by control ID", () => {
  const s = spec({ hostNetwork: true, containers: [{ name: "c", image: "nginx", securityContext: { privileged: true } }] });
  assert.equal(
    detailsAt("restricted", s),
    'host namespaces (hostNetwork=true), privileged (container "c" must not set securityContext.privileged=true), ' +
      'allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false), ' +
      'unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"]), ' +
      'runAsNonRoot != true (pod or container "c" must set securityContext.runAsNonRoot=true), ' +
      'seccompProfile (pod or container "c" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
  );
});

test("versions: older policies run the controls of their time", () => {
  const v = (minor: number): Version => ({ major: 1, minor });
  const sysctl = spec({ securityContext: { sysctls: [{ name: "net.ipv4.tcp_keepalive_time", value: "60" }] } });
  assert.equal(detailsAt("baseline", sysctl, {}, v(28)), "forbidden sysctls (net.ipv4.tcp_keepalive_time)");
  assert.equal(detailsAt("baseline", sysctl, {}, v(29)), "");
  const root = spec({ containers: [container("c", { runAsUser: 0 })] });
  assert.equal(detailsAt("restricted", root, {}, v(22)), "", "runAsUser=0 is checked from 1.23");
  const probe = spec({ containers: [container("c", {}, { readinessProbe: { tcpSocket: { port: 80, host: "h" } } })] });
  assert.equal(detailsAt("baseline", probe, {}, v(33)), "", "probe hosts are checked from 1.34");
  const annotated = detailsAt("baseline", spec({}), { "seccomp.security.alpha.kubernetes.io/pod": "unconfined" }, v(18));
  assert.equal(annotated, 'seccompProfile (forbidden annotation seccomp.security.alpha.kubernetes.io/pod="unconfined")');
  assert.equal(detailsAt("baseline", spec({}), {}, v(99)), "", "a future version evaluates as the newest known");
});

test("windows pods are exempt from the Linux-only restricted controls from 1.25", () => {
  const s = spec({ os: { name: "windows" }, containers: [{ name: "c", image: "w", securityContext: { runAsNonRoot: true } }] });
  assert.equal(detailsAt("restricted", s), "");
  assert.match(detailsAt("restricted", s, {}, { major: 1, minor: 24 }), /allowPrivilegeEscalation != false/);
});
