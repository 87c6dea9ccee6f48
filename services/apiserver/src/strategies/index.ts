// The one kind → strategy map (kube-apiserver wires one REST strategy per resource); kinds not listed get the default.
import type { KindInfo } from "@kubeplane/api";
import type { ServiceAddresses } from "../service-addresses.js";
import { csrStrategy } from "./certificatesigningrequests.js";
import { eventStrategy } from "./events.js";
import { jobStrategy } from "./jobs.js";
import { namespaceStrategy } from "./namespaces.js";
import { podStrategy } from "./pods.js";
import { secretStrategy } from "./secrets.js";
import { serviceStrategy } from "./services.js";
import { defaultStrategy, startingPhaseStrategy, statusResetStrategy, type Strategy } from "./strategy.js";

export { defaultStrategy, finalizerRules, type Reservation, type ReservationPlan, type Reservations, type Strategy, type StrategyRequest } from "./strategy.js";

/** What strategies are built from: the Service address ranges and the Event TTL. */
export interface StrategyDeps {
  addresses: ServiceAddresses;
  /** Events expire this long after their last write; 0: never. */
  eventTtlSeconds: number;
}

/** The strategy of a kind, looked up once per request. */
export type StrategyLookup = (info: KindInfo) => Strategy;

/** Builds the map, keyed `group/resource`. */
export function createStrategies(deps: StrategyDeps): StrategyLookup {
  const byResource = new Map<string, Strategy>([
    ["/pods", podStrategy],
    ["/namespaces", namespaceStrategy],
    ["/services", serviceStrategy(deps.addresses)],
    ["/secrets", secretStrategy],
    ["/events", eventStrategy(deps.eventTtlSeconds)],
    ["/persistentvolumeclaims", startingPhaseStrategy("Pending")],
    ["/persistentvolumes", startingPhaseStrategy("Pending")],
    ["/replicationcontrollers", statusResetStrategy],
    ["apps/deployments", statusResetStrategy],
    ["apps/replicasets", statusResetStrategy],
    ["apps/statefulsets", statusResetStrategy],
    ["apps/daemonsets", statusResetStrategy],
    ["batch/jobs", jobStrategy],
    ["batch/cronjobs", statusResetStrategy],
    ["autoscaling/horizontalpodautoscalers", statusResetStrategy],
    ["networking.k8s.io/ingresses", statusResetStrategy],
    ["certificates.k8s.io/certificatesigningrequests", csrStrategy],
  ]);
  return (info) => byResource.get(`${info.group}/${info.resource}`) ?? defaultStrategy;
}
