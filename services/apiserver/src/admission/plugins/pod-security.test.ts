// Unit tests of the PodSecurity plugin: enforce refuses, warn and audit report, workloads only warn, labels are validated.
import assert from "node:assert/strict";
import { test } from "node:test";
import { apiErrors, kindFor, type ApiObject } from "@kubeplane/api";
import { AUDIT_VIOLATIONS_ANNOTATION, ENFORCE_POLICY_ANNOTATION, EXEMPT_ANNOTATION, PodSecurity, DEFAULT_POD_SECURITY_CONFIGURATION } from "./pod-security.js";
import { podSecurityConfiguration, PodSecurityConfigError } from "./pod-security-config.js";
import { attributes, MemoryAdmissionStore } from "./test-admission-support.js";

const nsKind = kindFor("v1", "Namespace")!;
const podKind = kindFor("v1", "Pod")!;
const deploymentKind = kindFor("apps/v1", "Deployment")!;

function namespace(name: string, labels: Record<string, string>): ApiObject {
  return nsKind.codec.fromJSON({ apiVersion: "v1", kind: "Namespace", metadata: { name, labels } });
}

const compliant = { allowPrivilegeEscalation: false, runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" }, capabilities: { drop: ["ALL"] } };

function pod(name: string, ns: string, securityContext: Record<string, unknown> = compliant, image = "nginx:1.27"): ApiObject {
  return podKind.codec.fromJSON({ apiVersion: "v1", kind: "Pod", metadata: { name, namespace: ns }, spec: { containers: [{ name: "c", image, securityContext }] } });
}

function storeWith(...namespaces: ApiObject[]): MemoryAdmissionStore {
  const store = new MemoryAdmissionStore();
  for (const ns of namespaces) store.put(nsKind, ns);
  return store;
}

async function refusal(p: Promise<void>): Promise<apiErrors.ApiError> {
  try {
    await p;
  } catch (err) {
    if (apiErrors.isApiError(err)) return err;
    throw err;
  }
  assert.fail("expected a refusal");
}

test("enforce=restricted refuses a privileged pod with Kubernetes' message and accepts a compliant one", async () => {
  const plugin = new PodSecurity();
  const store = storeWith(namespace("secure", { "pod-security.kubernetes.io/enforce": "restricted" }));
  const bad = attributes(podKind, "CREATE", pod("x", "secure", { privileged: true, allowPrivilegeEscalation: false, runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" }, capabilities: { drop: ["ALL"] } }));
  assert.ok(plugin.handles(bad));
  const err = await refusal(plugin.validate(bad, store));
  assert.equal(err.reason, "Forbidden");
  assert.equal(err.message, 'pods "x" is forbidden: violates PodSecurity "restricted:latest": privileged (container "c" must not set securityContext.privileged=true)');
  assert.equal(bad.auditAnnotations[ENFORCE_POLICY_ANNOTATION], "restricted:latest");

  const good = attributes(podKind, "CREATE", pod("y", "secure"));
  await plugin.validate(good, store);
  assert.deepEqual(good.warnings, []);
});

test("warn and audit report violations without refusing; the warn level follows a stricter enforce level", async () => {
  const plugin = new PodSecurity();
  const store = storeWith(namespace("team", { "pod-security.kubernetes.io/warn": "baseline", "pod-security.kubernetes.io/audit": "restricted" }));
  const attrs = attributes(podKind, "CREATE", pod("x", "team", { privileged: true }));
  await plugin.validate(attrs, store);
  assert.deepEqual(attrs.warnings, ['would violate PodSecurity "baseline:latest": privileged (container "c" must not set securityContext.privileged=true)']);
  assert.match(attrs.auditAnnotations[AUDIT_VIOLATIONS_ANNOTATION] ?? "", /^would violate PodSecurity "restricted:latest": privileged \(.*\), allowPrivilegeEscalation != false/);

  const enforced = storeWith(namespace("b", { "pod-security.kubernetes.io/enforce": "baseline", "pod-security.kubernetes.io/enforce-version": "v1.30" }));
  const hostNet = podKind.codec.fromJSON({ apiVersion: "v1", kind: "Pod", metadata: { name: "h", namespace: "b" }, spec: { hostNetwork: true, containers: [{ name: "c", image: "i" }] } });
  const err = await refusal(plugin.validate(attributes(podKind, "CREATE", hostNet), enforced));
  assert.match(err.message, /violates PodSecurity "baseline:v1\.30": host namespaces \(hostNetwork=true\)/);
});

test("workloads with pod templates get warnings and audit annotations only, never a refusal", async () => {
  const plugin = new PodSecurity();
  const store = storeWith(namespace("secure", { "pod-security.kubernetes.io/enforce": "restricted" }));
  const deployment = deploymentKind.codec.fromJSON({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web", namespace: "secure" },
    spec: { selector: { matchLabels: { app: "web" } }, template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "c", image: "i", securityContext: { privileged: true } }] } } },
  });
  const attrs = attributes(deploymentKind, "CREATE", deployment);
  assert.ok(plugin.handles(attrs));
  await plugin.validate(attrs, store);
  assert.equal(attrs.warnings.length, 1);
  assert.match(attrs.warnings[0]!, /^would violate PodSecurity "restricted:latest": privileged/);
  // Only warn follows the enforce label; audit stays at the (privileged) default.
  assert.equal(attrs.auditAnnotations[AUDIT_VIOLATIONS_ANNOTATION], undefined);
});

test("pod updates that change no image are not evaluated; subresources like status are not handled", async () => {
  const plugin = new PodSecurity();
  const store = storeWith(namespace("secure", { "pod-security.kubernetes.io/enforce": "restricted" }));
  const old = pod("x", "secure", { privileged: true });
  const relabelled = pod("x", "secure", { privileged: true });
  relabelled.metadata!.labels = { a: "b" };
  await plugin.validate(attributes(podKind, "UPDATE", relabelled, { oldObject: old }), store);
  const newImage = pod("x", "secure", { privileged: true }, "nginx:1.28");
  await refusal(plugin.validate(attributes(podKind, "UPDATE", newImage, { oldObject: old }), store));
  assert.equal(plugin.handles(attributes(podKind, "UPDATE", old, { subresource: "status", oldObject: old })), false);
});

test("exempt users, namespaces and runtime classes bypass the policy and are recorded", async () => {
  const plugin = new PodSecurity({
    ...DEFAULT_POD_SECURITY_CONFIGURATION,
    exemptions: { usernames: ["system:serviceaccount:kube-system:daemon"], namespaces: ["kube-system"], runtimeClasses: ["kata"] },
  });
  const store = storeWith(namespace("secure", { "pod-security.kubernetes.io/enforce": "restricted" }), namespace("kube-system", { "pod-security.kubernetes.io/enforce": "restricted" }));
  const byUser = attributes(podKind, "CREATE", pod("a", "secure", { privileged: true }), { user: { username: "system:serviceaccount:kube-system:daemon", groups: [] } });
  await plugin.validate(byUser, store);
  assert.equal(byUser.auditAnnotations[EXEMPT_ANNOTATION], "user");
  const inNamespace = attributes(podKind, "CREATE", pod("b", "kube-system", { privileged: true }));
  await plugin.validate(inNamespace, store);
  assert.equal(inNamespace.auditAnnotations[EXEMPT_ANNOTATION], "namespace");
  const kata = pod("c", "secure", { privileged: true });
  (kata as unknown as { spec: { runtimeClassName?: string } }).spec.runtimeClassName = "kata";
  const byClass = attributes(podKind, "CREATE", kata);
  await plugin.validate(byClass, store);
  assert.equal(byClass.auditAnnotations[EXEMPT_ANNOTATION], "runtimeClass");
});

test("the cluster default applies to unlabelled namespaces", async () => {
  const plugin = new PodSecurity({ ...DEFAULT_POD_SECURITY_CONFIGURATION, defaults: { ...DEFAULT_POD_SECURITY_CONFIGURATION.defaults, enforce: { level: "baseline", version: { latest: true } } } });
  const store = storeWith(namespace("plain", {}));
  const err = await refusal(plugin.validate(attributes(podKind, "CREATE", pod("x", "plain", { privileged: true })), store));
  assert.match(err.message, /violates PodSecurity "baseline:latest": privileged/);
});

test("namespace labels are validated on create and on a changing update", async () => {
  const plugin = new PodSecurity();
  const store = storeWith();
  const bad = namespace("n", { "pod-security.kubernetes.io/enforce": "strict", "pod-security.kubernetes.io/warn-version": "1.30" });
  const attrs = attributes(nsKind, "CREATE", bad);
  assert.ok(plugin.handles(attrs));
  const err = await refusal(plugin.validate(attrs, store));
  assert.equal(err.reason, "Invalid");
  assert.deepEqual(
    err.causes.map((c) => c.message),
    [
      'metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: "strict": must be one of privileged, baseline, restricted',
      'metadata.labels[pod-security.kubernetes.io/warn-version]: Invalid value: "1.30": must be "latest" or "v1.x"',
    ],
  );
  // An update that keeps the same bad labels (set before validation existed) is let through.
  await plugin.validate(attributes(nsKind, "UPDATE", bad, { oldObject: bad }), store);
});

test("tightening a namespace's enforce level warns about the existing pods it would refuse", async () => {
  const plugin = new PodSecurity();
  const store = storeWith();
  store.put(podKind, pod("a", "team", { privileged: true }));
  store.put(podKind, pod("b", "team", { privileged: true }));
  store.put(podKind, pod("ok", "team"));
  const attrs = attributes(nsKind, "UPDATE", namespace("team", { "pod-security.kubernetes.io/enforce": "baseline" }), { oldObject: namespace("team", {}) });
  await plugin.validate(attrs, store);
  assert.deepEqual(attrs.warnings, ['existing pods in namespace "team" violate the new PodSecurity enforce level "baseline:latest"', "a (and 1 other pod): privileged"]);
});

test("the flags give the cluster default and exemptions; a bad level is refused at start", () => {
  const config = podSecurityConfiguration({ podSecurityDefaultEnforce: "baseline", podSecurityDefaultWarn: "restricted:v1.30", podSecurityExemptNamespaces: ["kube-system"] });
  assert.equal(config.defaults.enforce.level, "baseline");
  assert.deepEqual(config.defaults.warn, { level: "restricted", version: { major: 1, minor: 30 } });
  assert.equal(config.defaults.audit.level, "privileged");
  assert.deepEqual(config.exemptions.namespaces, ["kube-system"]);
  assert.throws(() => podSecurityConfiguration({ podSecurityDefaultEnforce: "strict" }), PodSecurityConfigError);
});
