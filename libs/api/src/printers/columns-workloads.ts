// kubectl's table columns for workloads: deployments, replica sets, daemon sets, stateful sets, jobs, cron jobs, HPAs.
import type { JsonObject } from "./column-helpers.js";
import { arr, at, mapText, num, rec, str } from "./json-fields.js";
import { age, humanDuration } from "./age.js";
import { count, created, name, orNone, selectorText, templateContainers, type TableColumns } from "./column-helpers.js";

const specReplicas = (o: JsonObject): number => num(o, "spec", "replicas") ?? 1;
const templateWide = (o: JsonObject): string[] => [...templateContainers(o, "spec", "template"), selectorText(at(o, "spec", "selector"))];
const WIDE = ["CONTAINERS", "IMAGES", "SELECTOR"] as const;

export const deploymentColumns: TableColumns = {
  headers: ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"],
  wideHeaders: WIDE,
  row: (o, now) => [
    name(o),
    `${num(o, "status", "readyReplicas") ?? 0}/${specReplicas(o)}`,
    count(num(o, "status", "updatedReplicas")),
    count(num(o, "status", "availableReplicas")),
    created(o, now),
  ],
  wideRow: templateWide,
};

/** ReplicaSets and ReplicationControllers share kubectl's columns. */
export const replicaSetColumns: TableColumns = {
  headers: ["NAME", "DESIRED", "CURRENT", "READY", "AGE"],
  wideHeaders: WIDE,
  row: (o, now) => [
    name(o),
    String(specReplicas(o)),
    count(num(o, "status", "replicas")),
    count(num(o, "status", "readyReplicas")),
    created(o, now),
  ],
  wideRow: (o) => {
    const selector = at(o, "spec", "selector");
    // A ReplicationController's selector is a plain map, a ReplicaSet's a LabelSelector.
    const text = selector && !("matchLabels" in rec(o, "spec", "selector")) && !("matchExpressions" in rec(o, "spec", "selector"))
      ? mapText(rec(o, "spec", "selector"))
      : selectorText(selector);
    return [...templateContainers(o, "spec", "template"), text];
  },
};

export const daemonSetColumns: TableColumns = {
  headers: ["NAME", "DESIRED", "CURRENT", "READY", "UP-TO-DATE", "AVAILABLE", "NODE SELECTOR", "AGE"],
  wideHeaders: WIDE,
  row: (o, now) => [
    name(o),
    count(num(o, "status", "desiredNumberScheduled")),
    count(num(o, "status", "currentNumberScheduled")),
    count(num(o, "status", "numberReady")),
    count(num(o, "status", "updatedNumberScheduled")),
    count(num(o, "status", "numberAvailable")),
    mapText(rec(o, "spec", "template", "spec", "nodeSelector")),
    created(o, now),
  ],
  wideRow: templateWide,
};

export const statefulSetColumns: TableColumns = {
  headers: ["NAME", "READY", "AGE"],
  wideHeaders: ["CONTAINERS", "IMAGES"],
  row: (o, now) => [name(o), `${num(o, "status", "readyReplicas") ?? 0}/${specReplicas(o)}`, created(o, now)],
  wideRow: (o) => templateContainers(o, "spec", "template"),
};

function jobStatus(o: JsonObject): string {
  const conditions = arr(o, "status", "conditions").filter((c) => str(c, "status") === "True").map((c) => str(c, "type"));
  if (conditions.includes("Complete")) return "Complete";
  if (conditions.includes("Failed")) return "Failed";
  if (str(o, "metadata", "deletionTimestamp")) return "Terminating";
  if (conditions.includes("Suspended") || at(o, "spec", "suspend") === true) return "Suspended";
  if (conditions.includes("FailureTarget")) return "FailureTarget";
  if (conditions.includes("SuccessCriteriaMet")) return "SuccessCriteriaMet";
  return "Running";
}

function jobDuration(o: JsonObject, now: Date): string {
  const start = str(o, "status", "startTime");
  if (!start) return "";
  const end = str(o, "status", "completionTime");
  return humanDuration((end ? Date.parse(end) : now.getTime()) - Date.parse(start));
}

export const jobColumns: TableColumns = {
  headers: ["NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE"],
  wideHeaders: WIDE,
  row: (o, now) => {
    const completions = num(o, "spec", "completions");
    const parallelism = num(o, "spec", "parallelism") ?? 1;
    const succeeded = num(o, "status", "succeeded") ?? 0;
    const total = completions !== undefined ? String(completions) : parallelism > 1 ? `1 of ${parallelism}` : "1";
    return [name(o), jobStatus(o), `${succeeded}/${total}`, jobDuration(o, now), created(o, now)];
  },
  wideRow: (o) => [...templateContainers(o, "spec", "template"), selectorText(at(o, "spec", "selector"))],
};

export const cronJobColumns: TableColumns = {
  headers: ["NAME", "SCHEDULE", "TIMEZONE", "SUSPEND", "ACTIVE", "LAST SCHEDULE", "AGE"],
  wideHeaders: WIDE,
  row: (o, now) => {
    const last = str(o, "status", "lastScheduleTime");
    return [
      name(o),
      str(o, "spec", "schedule"),
      orNone(str(o, "spec", "timeZone")),
      at(o, "spec", "suspend") === true ? "True" : "False",
      String(arr(o, "status", "active").length),
      last ? age(last, now) : "<none>",
      created(o, now),
    ];
  },
  wideRow: (o) => [
    ...templateContainers(o, "spec", "jobTemplate", "spec", "template"),
    selectorText(at(o, "spec", "jobTemplate", "spec", "selector")),
  ],
};

function hpaTargets(o: JsonObject): string {
  const current = arr(o, "status", "currentMetrics");
  const targets = arr(o, "spec", "metrics").map((m, i) => {
    if (str(m, "type") !== "Resource") return "<unknown>/<unknown>";
    const target = rec(m, "resource", "target");
    const cur = current[i];
    const utilization = num(target, "averageUtilization");
    const res = str(m, "resource", "name");
    if (utilization !== undefined) {
      const now = num(cur, "resource", "current", "averageUtilization");
      return `${res}: ${now === undefined ? "<unknown>" : `${now}%`}/${utilization}%`;
    }
    const value = str(target, "averageValue") || str(target, "value");
    const curValue = str(cur, "resource", "current", "averageValue") || str(cur, "resource", "current", "value");
    return `${res}: ${curValue || "<unknown>"}/${value}`;
  });
  return orNone(targets.join(", "));
}

export const hpaColumns: TableColumns = {
  headers: ["NAME", "REFERENCE", "TARGETS", "MINPODS", "MAXPODS", "REPLICAS", "AGE"],
  row: (o, now) => [
    name(o),
    `${str(o, "spec", "scaleTargetRef", "kind")}/${str(o, "spec", "scaleTargetRef", "name")}`,
    hpaTargets(o),
    String(num(o, "spec", "minReplicas") ?? 1),
    count(num(o, "spec", "maxReplicas")),
    count(num(o, "status", "currentReplicas")),
    created(o, now),
  ],
};

export const controllerRevisionColumns: TableColumns = {
  headers: ["NAME", "CONTROLLER", "REVISION", "AGE"],
  row: (o, now) => {
    const owner = arr(o, "metadata", "ownerReferences").find((r) => at(r, "controller") === true);
    const controller = owner ? `${str(owner, "kind").toLowerCase()}.${str(owner, "apiVersion").split("/")[0]}/${str(owner, "name")}` : "<none>";
    return [name(o), controller, count(num(o, "revision")), created(o, now)];
  },
};
