// A sync's view of one StatefulSet: its current and update revisions and its pods by ordinal.
import type { appsV1ControllerRevision, appsV1StatefulSet, coreV1Pod } from "@kubeplane/api";
import { ordinalOf } from "./identity.js";

type StatefulSet = appsV1StatefulSet.StatefulSet;
type ControllerRevision = appsV1ControllerRevision.ControllerRevision;
type Pod = coreV1Pod.Pod;

/** A sync's view of one set: its revisions and its pods by ordinal. */
export interface SetState {
  set: StatefulSet;
  current: ControllerRevision;
  update: ControllerRevision;
  /** First ordinal (spec.ordinals.start) and the replica count. */
  start: number;
  replicas: number;
  byOrdinal: Map<number, Pod>;
  /** Pods whose ordinal is outside [start, start+replicas), highest ordinal first. */
  condemned: Pod[];
}

/** The set's pods by ordinal, and those outside its ordinal range (to delete), from the pods it controls. */
export function setState(set: StatefulSet, current: ControllerRevision, update: ControllerRevision, setPods: readonly Pod[]): SetState {
  const start = set.spec?.ordinals?.start ?? 0;
  const replicas = set.spec?.replicas ?? 1;
  const byOrdinal = new Map<number, Pod>();
  const condemned: { ordinal: number; pod: Pod }[] = [];
  for (const pod of setPods) {
    const ordinal = ordinalOf(set.metadata!.name, pod.metadata!.name);
    if (ordinal === undefined) continue; // not a name this controller makes: leave it alone
    if (ordinal >= start && ordinal < start + replicas) byOrdinal.set(ordinal, pod);
    else condemned.push({ ordinal, pod });
  }
  condemned.sort((a, b) => b.ordinal - a.ordinal);
  return { set, current, update, start, replicas, byOrdinal, condemned: condemned.map((c) => c.pod) };
}
