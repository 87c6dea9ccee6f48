// Kubernetes' defaults for pods and pod templates (SetDefaults_PodSpec, _Container, _Probe, _Volume, _Pod).
import type { Container, HTTPGetAction, Pod, PodSpec, PodTemplateSpec, Probe } from "../gen/kubeplane/core/v1/pod.js";
import type { ObjectFieldSelector, Volume } from "../gen/kubeplane/core/v1/volume.js";

const DEFAULT_MODE = 0o644;

/** The pull policy Kubernetes picks: Always for `:latest` or no tag (and no digest), else IfNotPresent. */
export function defaultPullPolicy(image: string): string {
  const lastSlash = image.lastIndexOf("/");
  const at = image.indexOf("@");
  if (at >= 0) {
    const colon = image.slice(0, at).lastIndexOf(":");
    return colon > lastSlash && image.slice(colon + 1, at) === "latest" ? "Always" : "IfNotPresent";
  }
  const colon = image.lastIndexOf(":");
  const tag = colon > lastSlash ? image.slice(colon + 1) : "";
  return tag === "" || tag === "latest" ? "Always" : "IfNotPresent";
}

function defaultHttpGet(a: HTTPGetAction | undefined): void {
  if (!a) return;
  if (a.path === "") a.path = "/";
  if (a.scheme === "") a.scheme = "HTTP";
}

function defaultProbe(p: Probe | undefined): void {
  if (!p) return;
  if (p.timeoutSeconds === 0) p.timeoutSeconds = 1;
  if (p.periodSeconds === 0) p.periodSeconds = 10;
  if (p.successThreshold === 0) p.successThreshold = 1;
  if (p.failureThreshold === 0) p.failureThreshold = 3;
  defaultHttpGet(p.httpGet);
}

function defaultFieldRef(ref: ObjectFieldSelector | undefined): void {
  if (ref && ref.apiVersion === "") ref.apiVersion = "v1";
}

function defaultContainer(c: Container, hostNetwork: boolean): void {
  if (c.imagePullPolicy === "" && c.image !== "") c.imagePullPolicy = defaultPullPolicy(c.image);
  if (c.terminationMessagePath === "") c.terminationMessagePath = "/dev/termination-log";
  if (c.terminationMessagePolicy === "") c.terminationMessagePolicy = "File";
  // ResourceRequirements is a struct in Go, so Kubernetes always writes `resources: {}`.
  c.resources ??= { limits: {}, requests: {}, claims: [] };
  for (const port of c.ports) {
    if (port.protocol === "") port.protocol = "TCP";
    if (hostNetwork && port.hostPort === 0) port.hostPort = port.containerPort;
  }
  for (const e of c.env) defaultFieldRef(e.valueFrom?.fieldRef);
  defaultProbe(c.livenessProbe);
  defaultProbe(c.readinessProbe);
  defaultProbe(c.startupProbe);
  defaultHttpGet(c.lifecycle?.postStart?.httpGet);
  defaultHttpGet(c.lifecycle?.preStop?.httpGet);
}

function defaultVolume(v: Volume): void {
  const sources = [v.hostPath, v.emptyDir, v.secret, v.persistentVolumeClaim, v.downwardApi, v.configMap, v.projected, v.csi];
  if (sources.every((s) => s === undefined)) v.emptyDir = { medium: "" };
  if (v.secret) v.secret.defaultMode ??= DEFAULT_MODE;
  if (v.configMap) v.configMap.defaultMode ??= DEFAULT_MODE;
  if (v.downwardApi) {
    v.downwardApi.defaultMode ??= DEFAULT_MODE;
    for (const item of v.downwardApi.items) defaultFieldRef(item.fieldRef);
  }
  if (v.projected) {
    v.projected.defaultMode ??= DEFAULT_MODE;
    for (const s of v.projected.sources) {
      if (s.serviceAccountToken) s.serviceAccountToken.expirationSeconds ??= 3600;
      for (const item of s.downwardApi?.items ?? []) defaultFieldRef(item.fieldRef);
    }
  }
  if (v.hostPath) v.hostPath.type ??= "";
}

/** SetDefaults_PodSpec and the defaults of everything inside it; mutates `spec`. */
export function defaultPodSpec(spec: PodSpec, restartPolicy = "Always"): void {
  if (spec.dnsPolicy === "") spec.dnsPolicy = "ClusterFirst";
  if (spec.restartPolicy === "" && restartPolicy !== "") spec.restartPolicy = restartPolicy;
  spec.securityContext ??= { supplementalGroups: [], sysctls: [] };
  spec.terminationGracePeriodSeconds ??= 30;
  if (spec.schedulerName === "") spec.schedulerName = "default-scheduler";
  for (const c of spec.initContainers) defaultContainer(c, spec.hostNetwork);
  for (const c of spec.containers) defaultContainer(c, spec.hostNetwork);
  for (const v of spec.volumes) defaultVolume(v);
}

/** The pod defaults of a workload's template; `restartPolicy` "" leaves it unset (Jobs must choose). */
export function defaultPodTemplate(template: PodTemplateSpec | undefined, restartPolicy = "Always"): void {
  if (template?.spec) defaultPodSpec(template.spec, restartPolicy);
}

/** SetDefaults_Pod: the spec's defaults plus enableServiceLinks and requests copied from limits. */
export function defaultPod(pod: Pod): void {
  const spec = pod.spec;
  if (!spec) return;
  defaultPodSpec(spec);
  spec.enableServiceLinks ??= true;
  for (const c of [...spec.initContainers, ...spec.containers]) {
    const r = c.resources;
    if (!r) continue;
    for (const [name, limit] of Object.entries(r.limits)) if (!(name in r.requests)) r.requests[name] = limit;
  }
}
