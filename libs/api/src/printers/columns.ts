// The table columns of each kind, by "group/resource", with kubectl's NAME AGE table for the rest.
import type { KindInfo } from "../kinds.js";
import { created, name, type TableColumns } from "./column-helpers.js";
import { csrColumns } from "./columns-certificates.js";
import {
  configMapColumns,
  endpointsColumns,
  eventColumns,
  namespaceColumns,
  nodeColumns,
  podColumns,
  pvColumns,
  pvcColumns,
  secretColumns,
  serviceAccountColumns,
  serviceColumns,
} from "./columns-core.js";
import { limitRangeColumns, resourceQuotaColumns } from "./columns-policy.js";
import { endpointSliceColumns, ingressColumns, leaseColumns, networkPolicyColumns, podDisruptionBudgetColumns, priorityClassColumns, storageClassColumns } from "./columns-other.js";
import {
  controllerRevisionColumns,
  cronJobColumns,
  daemonSetColumns,
  deploymentColumns,
  hpaColumns,
  jobColumns,
  replicaSetColumns,
  statefulSetColumns,
} from "./columns-workloads.js";

export type { TableColumns } from "./column-helpers.js";

export const genericColumns: TableColumns = {
  headers: ["NAME", "AGE"],
  row: (o, now) => [name(o), created(o, now)],
};

const byResource: ReadonlyMap<string, TableColumns> = new Map([
  ["/pods", podColumns],
  ["/services", serviceColumns],
  ["/endpoints", endpointsColumns],
  ["/nodes", nodeColumns],
  ["/namespaces", namespaceColumns],
  ["/events", eventColumns],
  ["/configmaps", configMapColumns],
  ["/secrets", secretColumns],
  ["/serviceaccounts", serviceAccountColumns],
  ["/persistentvolumeclaims", pvcColumns],
  ["/persistentvolumes", pvColumns],
  ["/replicationcontrollers", replicaSetColumns],
  ["/resourcequotas", resourceQuotaColumns],
  ["/limitranges", limitRangeColumns],
  ["apps/deployments", deploymentColumns],
  ["apps/replicasets", replicaSetColumns],
  ["apps/daemonsets", daemonSetColumns],
  ["apps/statefulsets", statefulSetColumns],
  ["apps/controllerrevisions", controllerRevisionColumns],
  ["batch/jobs", jobColumns],
  ["batch/cronjobs", cronJobColumns],
  ["autoscaling/horizontalpodautoscalers", hpaColumns],
  ["coordination.k8s.io/leases", leaseColumns],
  ["certificates.k8s.io/certificatesigningrequests", csrColumns],
  ["networking.k8s.io/ingresses", ingressColumns],
  ["networking.k8s.io/networkpolicies", networkPolicyColumns],
  ["scheduling.k8s.io/priorityclasses", priorityClassColumns],
  ["storage.k8s.io/storageclasses", storageClassColumns],
  ["policy/poddisruptionbudgets", podDisruptionBudgetColumns],
  ["discovery.k8s.io/endpointslices", endpointSliceColumns],
]);

/** The columns kubectl prints for a kind; NAME AGE for kinds without their own. */
export function columnsFor(info: Pick<KindInfo, "group" | "resource">): TableColumns {
  return byResource.get(`${info.group}/${info.resource}`) ?? genericColumns;
}
