// kubectl's table columns for the core kinds: pods, services, endpoints, nodes, namespaces, events, config.
import type { JsonObject } from "./column-helpers.js";
import { arr, at, isRecord, mapText, num, rec, str } from "./json-fields.js";
import { age } from "./age.js";
import { created, name, orNone, type TableColumns } from "./column-helpers.js";

/** kubectl's pod STATUS: the phase, overridden by the most telling container or deletion state. */
export function podStatus(pod: JsonObject): string {
  let reason = str(pod, "status", "reason") || str(pod, "status", "phase");
  const init = arr(pod, "status", "initContainerStatuses");
  let initializing = false;
  init.forEach((c, i) => {
    if (initializing) return;
    const term = at(c, "state", "terminated");
    if (isRecord(term) && num(term, "exitCode") === 0) return;
    initializing = true;
    const waiting = str(c, "state", "waiting", "reason");
    if (isRecord(term)) {
      reason = str(term, "reason") ? `Init:${str(term, "reason")}` : num(term, "signal") ? `Init:Signal:${num(term, "signal")}` : `Init:ExitCode:${num(term, "exitCode") ?? 0}`;
    } else if (waiting && waiting !== "PodInitializing") reason = `Init:${waiting}`;
    else reason = `Init:${i}/${arr(pod, "spec", "initContainers").length}`;
  });
  if (!initializing) {
    let hasRunning = false;
    const statuses = arr(pod, "status", "containerStatuses");
    for (const c of [...statuses].reverse()) {
      const waiting = str(c, "state", "waiting", "reason");
      const term = at(c, "state", "terminated");
      if (waiting) reason = waiting;
      else if (isRecord(term)) {
        reason = str(term, "reason") || (num(term, "signal") ? `Signal:${num(term, "signal")}` : `ExitCode:${num(term, "exitCode") ?? 0}`);
      } else if (isRecord(at(c, "state", "running")) && at(c, "ready") === true) hasRunning = true;
    }
    if (reason === "Completed" && hasRunning) {
      const ready = arr(pod, "status", "conditions").some((c) => str(c, "type") === "Ready" && str(c, "status") === "True");
      reason = ready ? "Running" : "NotReady";
    }
  }
  if (str(pod, "metadata", "deletionTimestamp")) reason = str(pod, "status", "reason") === "NodeLost" ? "Unknown" : "Terminating";
  return reason || "Unknown";
}

/** RESTARTS with the age of the last restart: `3 (5m ago)`. */
function podRestarts(pod: JsonObject, now: Date): string {
  let restarts = 0;
  let last: string | undefined;
  for (const c of arr(pod, "status", "containerStatuses")) {
    restarts += num(c, "restartCount") ?? 0;
    const finished = str(c, "lastState", "terminated", "finishedAt");
    if (finished && (!last || Date.parse(finished) > Date.parse(last))) last = finished;
  }
  return restarts > 0 && last ? `${restarts} (${age(last, now)} ago)` : String(restarts);
}

export const podColumns: TableColumns = {
  headers: ["NAME", "READY", "STATUS", "RESTARTS", "AGE"],
  wideHeaders: ["IP", "NODE", "NOMINATED NODE", "READINESS GATES"],
  row: (o, now) => {
    const statuses = arr(o, "status", "containerStatuses");
    const ready = statuses.filter((c) => at(c, "ready") === true).length;
    return [name(o), `${ready}/${arr(o, "spec", "containers").length}`, podStatus(o), podRestarts(o, now), created(o, now)];
  },
  wideRow: (o) => {
    const gates = arr(o, "spec", "readinessGates");
    const conditions = arr(o, "status", "conditions");
    const gatesText = gates.length
      ? `${gates.filter((g) => conditions.some((c) => str(c, "type") === str(g, "conditionType") && str(c, "status") === "True")).length}/${gates.length}`
      : "<none>";
    return [orNone(str(o, "status", "podIP")), orNone(str(o, "spec", "nodeName")), orNone(str(o, "status", "nominatedNodeName")), gatesText];
  },
};

/** PORT(S) of a service: `80/TCP`, `80:30080/TCP`, comma-separated. */
export function servicePorts(svc: JsonObject): string {
  const ports = arr(svc, "spec", "ports").map((p) => {
    const node = num(p, "nodePort");
    return `${num(p, "port") ?? 0}${node ? `:${node}` : ""}/${str(p, "protocol") || "TCP"}`;
  });
  return orNone(ports.join(","));
}

function serviceExternalIp(svc: JsonObject): string {
  const type = str(svc, "spec", "type") || "ClusterIP";
  const external = arr(svc, "spec", "externalIPs").map(String);
  if (type === "ExternalName") return str(svc, "spec", "externalName");
  if (type === "LoadBalancer") {
    const ingress = arr(svc, "status", "loadBalancer", "ingress").map((i) => str(i, "ip") || str(i, "hostname"));
    const all = [...ingress, ...external];
    return all.length ? all.join(",") : "<pending>";
  }
  return orNone(external.join(","));
}

export const serviceColumns: TableColumns = {
  headers: ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"],
  wideHeaders: ["SELECTOR"],
  row: (o, now) => [name(o), str(o, "spec", "type") || "ClusterIP", orNone(str(o, "spec", "clusterIP")), serviceExternalIp(o), servicePorts(o), created(o, now)],
  wideRow: (o) => [mapText(rec(o, "spec", "selector"))],
};

export const endpointsColumns: TableColumns = {
  headers: ["NAME", "ENDPOINTS", "AGE"],
  row: (o, now) => {
    const all: string[] = [];
    for (const subset of arr(o, "subsets")) {
      const ports = arr(subset, "ports");
      for (const a of arr(subset, "addresses")) {
        if (ports.length === 0) all.push(str(a, "ip"));
        for (const p of ports) all.push(`${str(a, "ip")}:${num(p, "port") ?? 0}`);
      }
    }
    const shown = all.slice(0, 3).join(",") + (all.length > 3 ? ` + ${all.length - 3} more...` : "");
    return [name(o), orNone(shown), created(o, now)];
  },
};

function nodeStatus(node: JsonObject): string {
  const ready = arr(node, "status", "conditions").find((c) => str(c, "type") === "Ready");
  const parts = [ready ? (str(ready, "status") === "True" ? "Ready" : "NotReady") : "Unknown"];
  if (at(node, "spec", "unschedulable") === true) parts.push("SchedulingDisabled");
  return parts.join(",");
}

function nodeRoles(node: JsonObject): string {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(rec(node, "metadata", "labels"))) {
    if (k.startsWith("node-role.kubernetes.io/")) roles.add(k.slice("node-role.kubernetes.io/".length));
    else if (k === "kubernetes.io/role") roles.add(String(v));
  }
  return orNone([...roles].filter((r) => r !== "").sort().join(","));
}

const nodeAddress = (node: JsonObject, type: string): string =>
  orNone(str(arr(node, "status", "addresses").find((a) => str(a, "type") === type), "address"));

export const nodeColumns: TableColumns = {
  headers: ["NAME", "STATUS", "ROLES", "AGE", "VERSION"],
  wideHeaders: ["INTERNAL-IP", "EXTERNAL-IP", "OS-IMAGE", "KERNEL-VERSION", "CONTAINER-RUNTIME"],
  row: (o, now) => [name(o), nodeStatus(o), nodeRoles(o), created(o, now), str(o, "status", "nodeInfo", "kubeletVersion")],
  wideRow: (o) => [
    nodeAddress(o, "InternalIP"),
    nodeAddress(o, "ExternalIP"),
    orNone(str(o, "status", "nodeInfo", "osImage")),
    orNone(str(o, "status", "nodeInfo", "kernelVersion")),
    orNone(str(o, "status", "nodeInfo", "containerRuntimeVersion")),
  ],
};

export const namespaceColumns: TableColumns = {
  headers: ["NAME", "STATUS", "AGE"],
  row: (o, now) => [name(o), str(o, "status", "phase") || "Active", created(o, now)],
};

/** When an event was last seen: lastTimestamp, else eventTime, else its creation. */
export function eventLastSeen(ev: JsonObject): string {
  return str(ev, "lastTimestamp") || str(ev, "eventTime") || str(ev, "metadata", "creationTimestamp");
}

export const eventColumns: TableColumns = {
  headers: ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"],
  row: (o, now) => [
    age(eventLastSeen(o), now),
    str(o, "type"),
    str(o, "reason"),
    `${str(o, "involvedObject", "kind").toLowerCase()}/${str(o, "involvedObject", "name")}`,
    str(o, "message").trim(),
  ],
};

export const configMapColumns: TableColumns = {
  headers: ["NAME", "DATA", "AGE"],
  row: (o, now) => [name(o), String(Object.keys(rec(o, "data")).length + Object.keys(rec(o, "binaryData")).length), created(o, now)],
};

export const secretColumns: TableColumns = {
  headers: ["NAME", "TYPE", "DATA", "AGE"],
  row: (o, now) => [name(o), str(o, "type") || "Opaque", String(Object.keys(rec(o, "data")).length), created(o, now)],
};

export const serviceAccountColumns: TableColumns = {
  headers: ["NAME", "SECRETS", "AGE"],
  row: (o, now) => [name(o), String(arr(o, "secrets").length), created(o, now)],
};

const accessModes = (o: JsonObject, ...path: string[]): string =>
  arr(o, ...path)
    .map((m) => ({ ReadWriteOnce: "RWO", ReadOnlyMany: "ROX", ReadWriteMany: "RWX", ReadWriteOncePod: "RWOP" })[String(m)] ?? String(m))
    .join(",");

export const pvcColumns: TableColumns = {
  headers: ["NAME", "STATUS", "VOLUME", "CAPACITY", "ACCESS MODES", "STORAGECLASS", "AGE"],
  wideHeaders: ["VOLUMEMODE"],
  row: (o, now) => [
    name(o),
    str(o, "status", "phase"),
    str(o, "spec", "volumeName"),
    str(o, "status", "capacity", "storage"),
    accessModes(o, "status", "accessModes"),
    orNone(str(o, "spec", "storageClassName")),
    created(o, now),
  ],
  wideRow: (o) => [str(o, "spec", "volumeMode") || "Filesystem"],
};

export const pvColumns: TableColumns = {
  headers: ["NAME", "CAPACITY", "ACCESS MODES", "RECLAIM POLICY", "STATUS", "CLAIM", "STORAGECLASS", "REASON", "AGE"],
  wideHeaders: ["VOLUMEMODE"],
  row: (o, now) => {
    const claim = str(o, "spec", "claimRef", "name");
    return [
      name(o),
      str(o, "spec", "capacity", "storage"),
      accessModes(o, "spec", "accessModes"),
      str(o, "spec", "persistentVolumeReclaimPolicy"),
      str(o, "status", "phase"),
      claim ? `${str(o, "spec", "claimRef", "namespace")}/${claim}` : "",
      str(o, "spec", "storageClassName"),
      str(o, "status", "reason"),
      created(o, now),
    ];
  },
  wideRow: (o) => [str(o, "spec", "volumeMode") || "Filesystem"],
};
