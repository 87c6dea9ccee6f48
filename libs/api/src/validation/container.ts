// Container validation: names, images, ports, env, resources, volume mounts, probes and lifecycle handlers.
import { type FieldPath, duplicate, forbidden, invalid, notSupported, required, type FieldError } from "../field-errors.js";
import type { Container, ContainerPort, EnvVar, HTTPGetAction, LifecycleHandler, Probe, TCPSocketAction } from "../gen/kubeplane/core/v1/pod.js";
import { parseQuantity } from "../quantity.js";
import { validateEnum, validateNonnegative, validatePortIntOrName, validateResourceList } from "./common.js";
import { dns1123LabelProblems, envVarNameProblems, ianaSvcNameProblems, portNumberProblems } from "./names.js";

const PROTOCOLS = ["TCP", "UDP", "SCTP"] as const;
const PULL_POLICIES = ["Always", "IfNotPresent", "Never"] as const;
const TERMINATION_MESSAGE_POLICIES = ["File", "FallbackToLogsOnError"] as const;

/** Validates containers or initContainers; `names` collects names across both lists for the uniqueness check. */
export function validateContainers(containers: readonly Container[], volumes: ReadonlySet<string>, names: Set<string>, path: FieldPath, init: boolean): FieldError[] {
  const errs: FieldError[] = [];
  containers.forEach((c, i) => {
    const p = path.index(i);
    if (c.name === "") errs.push(required(p.child("name"), ""));
    else for (const problem of dns1123LabelProblems(c.name)) errs.push(invalid(p.child("name"), c.name, problem));
    if (c.name !== "" && names.has(c.name)) errs.push(duplicate(p.child("name"), c.name));
    names.add(c.name);
    if (c.image.trim() === "") errs.push(required(p.child("image"), ""));
    else if (c.image !== c.image.trim()) errs.push(invalid(p.child("image"), c.image, "must not have leading or trailing whitespace"));
    errs.push(...validateEnum(c.imagePullPolicy, PULL_POLICIES, p.child("imagePullPolicy"), false));
    errs.push(...validateEnum(c.terminationMessagePolicy, TERMINATION_MESSAGE_POLICIES, p.child("terminationMessagePolicy"), false));
    errs.push(...validatePorts(c.ports, p.child("ports")));
    errs.push(...validateEnv(c.env, p.child("env")));
    c.envFrom.forEach((e, j) => {
      const sources = Number(e.configMapRef !== undefined) + Number(e.secretRef !== undefined);
      if (sources !== 1) errs.push(invalid(p.child("envFrom").index(j), "", "must specify one of: `configMapRef` or `secretRef`"));
    });
    if (c.resources) {
      const rp = p.child("resources");
      errs.push(...validateResourceList(c.resources.limits, rp.child("limits")));
      errs.push(...validateResourceList(c.resources.requests, rp.child("requests")));
      errs.push(...validateRequestsWithinLimits(c.resources.requests, c.resources.limits, rp.child("requests")));
    }
    c.volumeMounts.forEach((m, j) => {
      const mp = p.child("volumeMounts").index(j);
      if (m.name === "") errs.push(required(mp.child("name"), ""));
      else if (!volumes.has(m.name)) errs.push(notSupported(mp.child("name"), m.name, []));
      if (m.mountPath === "") errs.push(required(mp.child("mountPath"), ""));
    });
    if (init) {
      if (c.restartPolicy !== undefined && c.restartPolicy !== "Always") errs.push(notSupported(p.child("restartPolicy"), c.restartPolicy, ["Always"]));
      if (c.restartPolicy !== "Always") {
        for (const probe of ["livenessProbe", "readinessProbe", "startupProbe"] as const) {
          if (c[probe]) errs.push(forbidden(p.child(probe), "may not be set for init containers without restartPolicy=Always"));
        }
      }
    } else if (c.restartPolicy !== undefined) {
      errs.push(forbidden(p.child("restartPolicy"), "may not be set for non-init containers"));
    }
    errs.push(...validateProbe(c.livenessProbe, p.child("livenessProbe")));
    errs.push(...validateProbe(c.readinessProbe, p.child("readinessProbe")));
    errs.push(...validateProbe(c.startupProbe, p.child("startupProbe")));
    if (c.livenessProbe && c.livenessProbe.successThreshold > 1) errs.push(invalid(p.child("livenessProbe").child("successThreshold"), c.livenessProbe.successThreshold, "must be 1"));
    if (c.startupProbe && c.startupProbe.successThreshold > 1) errs.push(invalid(p.child("startupProbe").child("successThreshold"), c.startupProbe.successThreshold, "must be 1"));
    if (c.lifecycle?.postStart) errs.push(...validateHandler(c.lifecycle.postStart, p.child("lifecycle").child("postStart")));
    if (c.lifecycle?.preStop) errs.push(...validateHandler(c.lifecycle.preStop, p.child("lifecycle").child("preStop")));
  });
  return errs;
}

function validatePorts(ports: readonly ContainerPort[], path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  ports.forEach((port, i) => {
    const p = path.index(i);
    if (port.name !== "") {
      for (const problem of ianaSvcNameProblems(port.name)) errs.push(invalid(p.child("name"), port.name, problem));
      if (names.has(port.name)) errs.push(duplicate(p.child("name"), port.name));
      names.add(port.name);
    }
    if (port.containerPort === 0) errs.push(required(p.child("containerPort"), ""));
    else for (const problem of portNumberProblems(port.containerPort)) errs.push(invalid(p.child("containerPort"), port.containerPort, problem));
    if (port.hostPort !== 0) for (const problem of portNumberProblems(port.hostPort)) errs.push(invalid(p.child("hostPort"), port.hostPort, problem));
    errs.push(...validateEnum(port.protocol, PROTOCOLS, p.child("protocol")));
  });
  return errs;
}

function validateEnv(env: readonly EnvVar[], path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  env.forEach((e, i) => {
    const p = path.index(i);
    if (e.name === "") errs.push(required(p.child("name"), ""));
    else for (const problem of envVarNameProblems(e.name)) errs.push(invalid(p.child("name"), e.name, problem));
    const from = e.valueFrom;
    if (!from) return;
    const vp = p.child("valueFrom");
    const sources = [from.fieldRef, from.resourceFieldRef, from.configMapKeyRef, from.secretKeyRef].filter((s) => s !== undefined).length;
    if (sources === 0) errs.push(invalid(vp, "", "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`"));
    else if (sources > 1) errs.push(invalid(vp, "", "may not have more than one field specified at a time"));
    if (e.value !== "") errs.push(invalid(vp, "", "may not be specified when `value` is not empty"));
    if (from.fieldRef && from.fieldRef.fieldPath === "") errs.push(required(vp.child("fieldRef").child("fieldPath"), ""));
    if (from.resourceFieldRef && from.resourceFieldRef.resource === "") errs.push(required(vp.child("resourceFieldRef").child("resource"), ""));
    for (const [name, ref] of [["configMapKeyRef", from.configMapKeyRef], ["secretKeyRef", from.secretKeyRef]] as const) {
      if (!ref) continue;
      if (ref.key === "") errs.push(required(vp.child(name).child("key"), ""));
      if (ref.name === "") errs.push(required(vp.child(name).child("name"), ""));
    }
  });
  return errs;
}

/** Every request with a limit must be at most that limit. */
function validateRequestsWithinLimits(requests: Record<string, string>, limits: Record<string, string>, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  for (const [name, req] of Object.entries(requests)) {
    const limit = limits[name];
    if (limit === undefined) continue;
    try {
      if (parseQuantity(req).cmp(parseQuantity(limit)) > 0) errs.push(invalid(path.key(name), req, `must be less than or equal to ${name} limit of ${limit}`));
    } catch {
      // Unparseable quantities are reported by validateResourceList.
    }
  }
  return errs;
}

function validateProbe(probe: Probe | undefined, path: FieldPath): FieldError[] {
  if (!probe) return [];
  const errs = validateHandler(probe, path);
  errs.push(...validateNonnegative(probe.initialDelaySeconds, path.child("initialDelaySeconds")));
  errs.push(...validateNonnegative(probe.timeoutSeconds, path.child("timeoutSeconds")));
  errs.push(...validateNonnegative(probe.periodSeconds, path.child("periodSeconds")));
  errs.push(...validateNonnegative(probe.successThreshold, path.child("successThreshold")));
  errs.push(...validateNonnegative(probe.failureThreshold, path.child("failureThreshold")));
  if (probe.terminationGracePeriodSeconds !== undefined && probe.terminationGracePeriodSeconds <= 0) {
    errs.push(invalid(path.child("terminationGracePeriodSeconds"), probe.terminationGracePeriodSeconds, "must be greater than 0"));
  }
  return errs;
}

/** Exactly one handler (exec, httpGet, tcpSocket, grpc for probes; sleep for lifecycle) with valid ports. */
function validateHandler(h: Probe | LifecycleHandler, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const set: string[] = [];
  if (h.exec) {
    set.push("exec");
    if (h.exec.command.length === 0) errs.push(required(path.child("exec").child("command"), ""));
  }
  if (h.httpGet) {
    set.push("httpGet");
    errs.push(...validateHttpGet(h.httpGet, path.child("httpGet")));
  }
  if (h.tcpSocket) {
    set.push("tcpSocket");
    errs.push(...validateTcpSocket(h.tcpSocket, path.child("tcpSocket")));
  }
  if ("grpc" in h && h.grpc) {
    set.push("grpc");
    for (const problem of portNumberProblems(h.grpc.port)) errs.push(invalid(path.child("grpc").child("port"), h.grpc.port, problem));
  }
  if ("sleep" in h && h.sleep) {
    set.push("sleep");
    errs.push(...validateNonnegative(h.sleep.seconds, path.child("sleep").child("seconds")));
  }
  if (set.length === 0) errs.push(required(path, "must specify a handler type"));
  for (const extra of set.slice(1)) errs.push(forbidden(path.child(extra), "may not specify more than 1 handler type"));
  return errs;
}

function validateHttpGet(a: HTTPGetAction, path: FieldPath): FieldError[] {
  const errs = validatePortIntOrName(a.port, path.child("port"));
  errs.push(...validateEnum(a.scheme, ["HTTP", "HTTPS"], path.child("scheme"), false));
  return errs;
}

function validateTcpSocket(a: TCPSocketAction, path: FieldPath): FieldError[] {
  return validatePortIntOrName(a.port, path.child("port"));
}
