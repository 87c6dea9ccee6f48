// kubectl describe: the common header, a kind-specific body (or a generic one) and the object's events.
import { type KindInfo, eventLastSeen, humanDuration } from "@kubeplane/api";
import type { JsonObject } from "@kubeplane/client";
import { num, rec, str } from "../json-fields.js";
import { LAST_APPLIED_ANNOTATION } from "../apply-plan.js";
import { describeHpa } from "./describe-hpa.js";
import { describeDeployment, describeNode, describePod, describeService } from "./describe-kinds.js";
import { describeNetworkPolicy } from "./describe-network-policy.js";
import { describeLimitRange, describeResourceQuota } from "./describe-policy.js";
import { DescribeWriter } from "./describe-writer.js";

type Describer = (w: DescribeWriter, obj: JsonObject, now: Date) => void;

const describers: ReadonlyMap<string, Describer> = new Map([
  ["/pods", describePod],
  ["/services", describeService],
  ["/nodes", describeNode],
  ["/resourcequotas", describeResourceQuota],
  ["/limitranges", describeLimitRange],
  ["apps/deployments", describeDeployment],
  ["autoscaling/horizontalpodautoscalers", describeHpa],
  ["networking.k8s.io/networkpolicies", describeNetworkPolicy],
]);

/** Name, Namespace, Labels, Annotations, CreationTimestamp: every describe starts so. */
export function describeHeader(w: DescribeWriter, info: KindInfo, obj: JsonObject): void {
  w.line(0, "Name:", str(obj, "metadata", "name"));
  if (info.namespaced) w.line(0, "Namespace:", str(obj, "metadata", "namespace"));
  w.map(0, "Labels", rec(obj, "metadata", "labels"));
  w.map(0, "Annotations", rec(obj, "metadata", "annotations"), (k) => k === LAST_APPLIED_ANNOTATION);
  const created = str(obj, "metadata", "creationTimestamp");
  w.line(0, "CreationTimestamp:", created ? new Date(created).toUTCString().replace("GMT", "+0000") : "<unset>");
}

function describeGeneric(w: DescribeWriter, obj: JsonObject): void {
  for (const [key, value] of Object.entries(obj)) {
    if (key === "apiVersion" || key === "kind" || key === "metadata") continue;
    w.value(0, key.charAt(0).toUpperCase() + key.slice(1), value);
  }
}

/** The Events section: oldest first (last seen, then write order), `Age` with `(xN over T)` for repeated events. */
export function describeEvents(w: DescribeWriter, events: readonly JsonObject[], now: Date): void {
  if (events.length === 0) {
    w.line(0, "Events:", "<none>");
    return;
  }
  // Timestamps have whole seconds: within one, the resourceVersion (etcd's write order) decides.
  const revision = (ev: JsonObject): number => Number(str(ev, "metadata", "resourceVersion")) || 0;
  const sorted = [...events].sort((a, b) => Date.parse(eventLastSeen(a)) - Date.parse(eventLastSeen(b)) || revision(a) - revision(b));
  w.line(0, "Events:");
  w.line(1, "Type", "Reason", "Age", "From", "Message");
  w.line(1, "----", "------", "----", "----", "-------");
  for (const ev of sorted) {
    const last = Date.parse(eventLastSeen(ev));
    const first = Date.parse(str(ev, "firstTimestamp") || eventLastSeen(ev));
    const countN = num(ev, "count") ?? 1;
    const ageText = Number.isNaN(last)
      ? "<unknown>"
      : countN > 1 && !Number.isNaN(first)
        ? `${humanDuration(now.getTime() - last)} (x${countN} over ${humanDuration(now.getTime() - first)})`
        : humanDuration(now.getTime() - last);
    const from = str(ev, "source", "component") || str(ev, "reportingComponent") || str(ev, "reportingController");
    w.line(1, str(ev, "type"), str(ev, "reason"), ageText, from, str(ev, "message").trim());
  }
}

/** The whole description of one object; `events` are those whose involvedObject is it. */
export function describeObject(info: KindInfo, obj: JsonObject, events: readonly JsonObject[] | undefined, now: Date): string {
  const w = new DescribeWriter();
  describeHeader(w, info, obj);
  const body = describers.get(`${info.group}/${info.resource}`);
  if (body) body(w, obj, now);
  else describeGeneric(w, obj);
  if (events) describeEvents(w, events, now);
  return w.toString();
}

