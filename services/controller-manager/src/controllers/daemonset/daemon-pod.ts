// The pod a DaemonSet runs on a node: its template, pinned to the node, with the daemon tolerations and revision hash.
import { coreV1Pod, type appsV1DaemonSet } from "@kubeplane/api";
import { newControllerRef } from "@kubeplane/controller";
import { CONTROLLER_REVISION_HASH } from "../util/controller-history.js";
import { withDaemonTolerations } from "./node-eligibility.js";

type DaemonSet = appsV1DaemonSet.DaemonSet;
type Pod = coreV1Pod.Pod;

/**
 * The daemon pod for `node`. Kubernetes pins it with a required node affinity on the node's name
 * and lets the scheduler bind it; Kubeplane sets `spec.nodeName` directly, which is simpler and
 * equivalent here because eligibility (selector, affinity, taints) is already checked above. The
 * trade-off: no resource fit check, as with Kubernetes before 1.12.
 */
export function daemonPod(ds: DaemonSet, hash: string, node: string): Pod {
  const template = ds.spec?.template;
  const spec = coreV1Pod.PodSpec.fromPartial(template?.spec ?? {});
  spec.nodeName = node;
  spec.tolerations = withDaemonTolerations(spec);
  return coreV1Pod.Pod.fromPartial({
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      generateName: `${ds.metadata!.name}-`,
      namespace: ds.metadata!.namespace,
      labels: { ...(template?.metadata?.labels ?? {}), [CONTROLLER_REVISION_HASH]: hash },
      annotations: { ...(template?.metadata?.annotations ?? {}) },
      ownerReferences: [newControllerRef(ds)],
    },
    spec,
  });
}
