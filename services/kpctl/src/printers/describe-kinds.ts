// kubectl describe's bodies for pods, deployments, services and nodes, and the pod template they share.
import type { JsonObject } from "@kubeplane/client";
import { arr, at, isRecord, mapText, num, rec, str } from "../json-fields.js";
import { age, podStatus, selectorText } from "@kubeplane/api";
import type { DescribeWriter } from "./describe-writer.js";

const orNone = (s: string): string => (s === "" ? "<none>" : s);
const time = (t: string): string => (t ? new Date(t).toUTCString().replace("GMT", "+0000") : "<unset>");

function containerState(w: DescribeWriter, level: number, label: string, state: unknown): void {
  const running = at(state, "running");
  const waiting = at(state, "waiting");
  const terminated = at(state, "terminated");
  if (isRecord(running)) {
    w.line(level, `${label}:`, "Running");
    w.line(level + 1, "Started:", time(str(running, "startedAt")));
  } else if (isRecord(waiting)) {
    w.line(level, `${label}:`, "Waiting");
    if (str(waiting, "reason")) w.line(level + 1, "Reason:", str(waiting, "reason"));
  } else if (isRecord(terminated)) {
    w.line(level, `${label}:`, "Terminated");
    w.line(level + 1, "Reason:", str(terminated, "reason"));
    w.line(level + 1, "Exit Code:", String(num(terminated, "exitCode") ?? 0));
    w.line(level + 1, "Started:", time(str(terminated, "startedAt")));
    w.line(level + 1, "Finished:", time(str(terminated, "finishedAt")));
  } else w.line(level, `${label}:`, "Waiting");
}

function portsText(container: unknown): string {
  return orNone(arr(container, "ports").map((p) => `${num(p, "containerPort") ?? 0}/${str(p, "protocol") || "TCP"}`).join(", "));
}

function containers(w: DescribeWriter, level: number, spec: unknown, statuses: readonly unknown[], withStatus: boolean): void {
  const list = arr(spec, "containers");
  if (list.length === 0) {
    w.line(level, "Containers:", "<none>");
    return;
  }
  w.line(level, "Containers:");
  for (const c of list) {
    const name = str(c, "name");
    const status = statuses.find((s) => str(s, "name") === name);
    w.line(level + 1, `${name}:`);
    if (withStatus) w.line(level + 2, "Container ID:", str(status, "containerID"));
    w.line(level + 2, "Image:", str(c, "image"));
    if (withStatus) w.line(level + 2, "Image ID:", str(status, "imageID"));
    w.line(level + 2, "Port:", portsText(c));
    if (arr(c, "command").length) w.line(level + 2, "Command:", arr(c, "command").map(String).join(" "));
    if (arr(c, "args").length) w.line(level + 2, "Args:", arr(c, "args").map(String).join(" "));
    if (withStatus) {
      containerState(w, level + 2, "State", at(status, "state"));
      if (isRecord(at(status, "lastState", "terminated"))) containerState(w, level + 2, "Last State", at(status, "lastState"));
      w.line(level + 2, "Ready:", at(status, "ready") === true ? "True" : "False");
      w.line(level + 2, "Restart Count:", String(num(status, "restartCount") ?? 0));
    }
    const limits = rec(c, "resources", "limits");
    const requests = rec(c, "resources", "requests");
    if (Object.keys(limits).length) w.map(level + 2, "Limits", limits);
    if (Object.keys(requests).length) w.map(level + 2, "Requests", requests);
    const env = arr(c, "env");
    if (env.length === 0) w.line(level + 2, "Environment:", "<none>");
    else {
      w.line(level + 2, "Environment:");
      for (const e of env) w.line(level + 3, `${str(e, "name")}:`, at(e, "value") !== undefined ? str(e, "value") : "(from a reference)");
    }
    const mounts = arr(c, "volumeMounts");
    if (mounts.length === 0) w.line(level + 2, "Mounts:", "<none>");
    else {
      w.line(level + 2, "Mounts:");
      for (const m of mounts) w.line(level + 3, `${str(m, "mountPath")} from ${str(m, "name")} (${at(m, "readOnly") === true ? "ro" : "rw"})`);
    }
  }
}

function volumes(w: DescribeWriter, level: number, spec: unknown): void {
  const list = arr(spec, "volumes");
  if (list.length === 0) {
    w.line(level, "Volumes:", "<none>");
    return;
  }
  w.line(level, "Volumes:");
  for (const v of list) {
    w.line(level + 1, `${str(v, "name")}:`);
    const [type, source] = Object.entries(rec(v)).find(([k]) => k !== "name") ?? ["", {}];
    w.line(level + 2, "Type:", type);
    for (const [k, value] of Object.entries(isRecord(source) ? source : {})) w.line(level + 2, `${k}:`, typeof value === "object" ? JSON.stringify(value) : String(value));
  }
}

function tolerations(w: DescribeWriter, level: number, spec: unknown): void {
  const lines = arr(spec, "tolerations").map((t) => {
    const base = str(t, "operator") === "Exists" && !str(t, "value") ? str(t, "key") : `${str(t, "key")}=${str(t, "value")}`;
    const effect = str(t, "effect") ? `:${str(t, "effect")}` : "";
    const secs = num(t, "tolerationSeconds");
    return `${base}${effect}${str(t, "operator") === "Exists" ? " op=Exists" : ""}${secs !== undefined ? ` for ${secs}s` : ""}`;
  });
  if (lines.length === 0) w.line(level, "Tolerations:", "<none>");
  else lines.forEach((t, i) => w.line(level, i === 0 ? "Tolerations:" : "", t));
}

function controlledBy(obj: JsonObject): string | undefined {
  const owner = arr(obj, "metadata", "ownerReferences").find((r) => at(r, "controller") === true);
  return owner ? `${str(owner, "kind")}/${str(owner, "name")}` : undefined;
}

export function describePod(w: DescribeWriter, pod: JsonObject): void {
  w.line(0, "Priority:", String(num(pod, "spec", "priority") ?? 0));
  if (str(pod, "spec", "priorityClassName")) w.line(0, "Priority Class Name:", str(pod, "spec", "priorityClassName"));
  w.line(0, "Service Account:", str(pod, "spec", "serviceAccountName") || "default");
  const node = str(pod, "spec", "nodeName");
  w.line(0, "Node:", node ? `${node}/${str(pod, "status", "hostIP")}` : "<none>");
  w.line(0, "Start Time:", time(str(pod, "status", "startTime")));
  w.line(0, "Status:", podStatus(pod));
  if (str(pod, "status", "reason")) w.line(0, "Reason:", str(pod, "status", "reason"));
  if (str(pod, "status", "message")) w.line(0, "Message:", str(pod, "status", "message"));
  w.line(0, "IP:", str(pod, "status", "podIP"));
  const ips = arr(pod, "status", "podIPs");
  if (ips.length === 0) w.line(0, "IPs:", "<none>");
  else {
    w.line(0, "IPs:");
    for (const ip of ips) w.line(1, "IP:", str(ip, "ip"));
  }
  const owner = controlledBy(pod);
  if (owner) w.line(0, "Controlled By:", owner);
  containers(w, 0, at(pod, "spec"), arr(pod, "status", "containerStatuses"), true);
  const conditions = arr(pod, "status", "conditions");
  if (conditions.length) {
    w.line(0, "Conditions:");
    w.line(1, "Type", "Status");
    for (const c of conditions) w.line(1, str(c, "type"), str(c, "status"));
  }
  volumes(w, 0, at(pod, "spec"));
  w.line(0, "QoS Class:", orNone(str(pod, "status", "qosClass")));
  w.line(0, "Node-Selectors:", mapText(rec(pod, "spec", "nodeSelector")));
  tolerations(w, 0, at(pod, "spec"));
}

export function describeDeployment(w: DescribeWriter, d: JsonObject): void {
  w.line(0, "Selector:", selectorText(at(d, "spec", "selector")));
  const desired = num(d, "spec", "replicas") ?? 1;
  const s = (k: string): number => num(d, "status", k) ?? 0;
  w.line(0, "Replicas:", `${desired} desired | ${s("updatedReplicas")} updated | ${s("replicas")} total | ${s("availableReplicas")} available | ${s("unavailableReplicas")} unavailable`);
  const strategy = str(d, "spec", "strategy", "type") || "RollingUpdate";
  w.line(0, "StrategyType:", strategy);
  w.line(0, "MinReadySeconds:", String(num(d, "spec", "minReadySeconds") ?? 0));
  if (strategy === "RollingUpdate") {
    const ru = rec(d, "spec", "strategy", "rollingUpdate");
    w.line(0, "RollingUpdateStrategy:", `${str(ru, "maxUnavailable") || "25%"} max unavailable, ${str(ru, "maxSurge") || "25%"} max surge`);
  }
  w.line(0, "Pod Template:");
  w.map(1, "Labels", rec(d, "spec", "template", "metadata", "labels"));
  containers(w, 1, at(d, "spec", "template", "spec"), [], false);
  volumes(w, 1, at(d, "spec", "template", "spec"));
  const conditions = arr(d, "status", "conditions");
  if (conditions.length) {
    w.line(0, "Conditions:");
    w.line(1, "Type", "Status", "Reason");
    w.line(1, "----", "------", "------");
    for (const c of conditions) w.line(1, str(c, "type"), str(c, "status"), str(c, "reason"));
  }
}

export function describeService(w: DescribeWriter, svc: JsonObject): void {
  w.line(0, "Selector:", mapText(rec(svc, "spec", "selector")));
  w.line(0, "Type:", str(svc, "spec", "type") || "ClusterIP");
  w.line(0, "IP Family Policy:", orNone(str(svc, "spec", "ipFamilyPolicy")));
  w.line(0, "IP Families:", orNone(arr(svc, "spec", "ipFamilies").map(String).join(",")));
  w.line(0, "IP:", orNone(str(svc, "spec", "clusterIP")));
  w.line(0, "IPs:", orNone(arr(svc, "spec", "clusterIPs").map(String).join(",") || str(svc, "spec", "clusterIP")));
  if (str(svc, "spec", "externalName")) w.line(0, "External Name:", str(svc, "spec", "externalName"));
  for (const p of arr(svc, "spec", "ports")) {
    const pname = str(p, "name") || "<unset>";
    const proto = str(p, "protocol") || "TCP";
    w.line(0, "Port:", pname, `${num(p, "port") ?? 0}/${proto}`);
    w.line(0, "TargetPort:", `${str(p, "targetPort") || String(num(p, "port") ?? 0)}/${proto}`);
    if (num(p, "nodePort")) w.line(0, "NodePort:", pname, `${num(p, "nodePort")}/${proto}`);
  }
  w.line(0, "Session Affinity:", str(svc, "spec", "sessionAffinity") || "None");
  if (str(svc, "spec", "externalTrafficPolicy")) w.line(0, "External Traffic Policy:", str(svc, "spec", "externalTrafficPolicy"));
  w.line(0, "Internal Traffic Policy:", str(svc, "spec", "internalTrafficPolicy") || "Cluster");
}

export function describeNode(w: DescribeWriter, node: JsonObject, now: Date): void {
  w.line(0, "Taints:", orNone(arr(node, "spec", "taints").map((t) => `${str(t, "key")}${str(t, "value") ? `=${str(t, "value")}` : ""}:${str(t, "effect")}`).join(", ")));
  w.line(0, "Unschedulable:", at(node, "spec", "unschedulable") === true ? "true" : "false");
  const conditions = arr(node, "status", "conditions");
  w.line(0, "Conditions:");
  w.line(1, "Type", "Status", "LastHeartbeatTime", "Reason", "Message");
  w.line(1, "----", "------", "-----------------", "------", "-------");
  for (const c of conditions) w.line(1, str(c, "type"), str(c, "status"), `${time(str(c, "lastHeartbeatTime"))} (${age(str(c, "lastHeartbeatTime"), now)} ago)`, str(c, "reason"), str(c, "message"));
  w.line(0, "Addresses:");
  for (const a of arr(node, "status", "addresses")) w.line(1, `${str(a, "type")}:`, str(a, "address"));
  for (const [label, key] of [["Capacity", "capacity"], ["Allocatable", "allocatable"]] as const) {
    const m = rec(node, "status", key);
    w.line(0, `${label}:`);
    for (const [k, v] of Object.entries(m)) w.line(1, `${k}:`, String(v));
  }
  const info = rec(node, "status", "nodeInfo");
  w.line(0, "System Info:");
  for (const [label, key] of [
    ["Machine ID", "machineID"],
    ["Kernel Version", "kernelVersion"],
    ["OS Image", "osImage"],
    ["Operating System", "operatingSystem"],
    ["Architecture", "architecture"],
    ["Container Runtime Version", "containerRuntimeVersion"],
    ["Kubelet Version", "kubeletVersion"],
  ] as const) w.line(1, `${label}:`, str(info, key));
  if (str(node, "spec", "podCIDR")) w.line(0, "PodCIDR:", str(node, "spec", "podCIDR"));
}

/** kubectl's DescribePodTemplate (what `rollout history --revision` prints): labels, annotations, containers, volumes. */
export function describePodTemplate(w: DescribeWriter, level: number, template: unknown): void {
  w.line(level, "Pod Template:");
  w.map(level + 1, "Labels", rec(template, "metadata", "labels"));
  const annotations = Object.entries(rec(template, "metadata", "annotations")).sort(([a], [b]) => a.localeCompare(b));
  annotations.forEach(([k, v], i) => w.line(level + 1, i === 0 ? "Annotations:" : "", `${k}: ${String(v)}`));
  if (str(template, "spec", "serviceAccountName")) w.line(level + 1, "Service Account:", str(template, "spec", "serviceAccountName"));
  containers(w, level + 1, at(template, "spec"), [], false);
  volumes(w, level + 1, at(template, "spec"));
  if (str(template, "spec", "priorityClassName")) w.line(level + 1, "Priority Class Name:", str(template, "spec", "priorityClassName"));
  w.line(level + 1, "Node-Selectors:", mapText(rec(template, "spec", "nodeSelector")));
  tolerations(w, level + 1, at(template, "spec"));
}
