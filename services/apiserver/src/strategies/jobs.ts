// The Job strategy: status is the controller's, and a Job without manualSelector selects its pods by its own uid.
import { metaV1, type ApiObject } from "@kubeplane/api";
import { statusResetStrategy, type Strategy } from "./strategy.js";

/**
 * A Job without `manualSelector` gets a selector on its own uid, and its pod template the labels
 * that match it, as kube-apiserver's Job strategy does (so two Jobs never select each other's pods).
 */
function generateJobSelector(obj: ApiObject): void {
  const job = obj as ApiObject & {
    spec?: { manualSelector?: boolean; selector?: { matchLabels: Record<string, string>; matchExpressions: unknown[] }; template?: { metadata?: { labels: Record<string, string> } } };
  };
  const spec = job.spec;
  if (!spec || spec.manualSelector === true) return;
  const uid = obj.metadata!.uid;
  const name = obj.metadata!.name;
  spec.selector = { matchLabels: { "batch.kubernetes.io/controller-uid": uid }, matchExpressions: [] };
  const template = (spec.template ??= {});
  template.metadata ??= metaV1.ObjectMeta.fromPartial({});
  template.metadata!.labels = {
    ...template.metadata!.labels,
    "batch.kubernetes.io/controller-uid": uid,
    "batch.kubernetes.io/job-name": name,
    "controller-uid": uid,
    "job-name": name,
  };
}

export const jobStrategy: Strategy = {
  ...statusResetStrategy,
  prepareForCreate(info, obj, request) {
    statusResetStrategy.prepareForCreate(info, obj, request);
    generateJobSelector(obj);
  },
};
