// A StatefulSet pod's identity: its stable name `<set>-<ordinal>`, labels, hostname and subdomain, and its claims as volumes.
import { coreV1Pod, coreV1Volume, type appsV1ControllerRevision, type appsV1StatefulSet } from "@kubeplane/api";
import { newControllerRef } from "@kubeplane/controller";
import { CONTROLLER_REVISION_HASH, templateOf } from "../util/controller-history.js";
import { claimName } from "./claims.js";

type StatefulSet = appsV1StatefulSet.StatefulSet;
type ControllerRevision = appsV1ControllerRevision.ControllerRevision;
type Pod = coreV1Pod.Pod;

export const POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name";
export const POD_INDEX_LABEL = "apps.kubernetes.io/pod-index";

/** The ordinal in a pod name `<set>-<ordinal>`, or undefined when the name is not one of the set's. */
export function ordinalOf(setName: string, podName: string): number | undefined {
  if (!podName.startsWith(`${setName}-`)) return undefined;
  const rest = podName.slice(setName.length + 1);
  return /^(0|[1-9]\d*)$/.test(rest) ? Number(rest) : undefined;
}

/**
 * The pod for `ordinal` at `revision` (`template` when the caller has the set's own template at
 * hand): stable name, hostname and subdomain (the governing Service), and its claims as volumes.
 */
export function statefulPod(set: StatefulSet, revision: ControllerRevision, ordinal: number, template = templateOf(revision)): Pod {
  const setName = set.metadata!.name;
  const name = `${setName}-${ordinal}`;
  const spec = coreV1Pod.PodSpec.fromPartial(template.spec ?? {});
  spec.hostname = name;
  spec.subdomain = set.spec?.serviceName ?? "";
  for (const claim of set.spec?.volumeClaimTemplates ?? []) {
    const volumeName = claim.metadata?.name ?? "";
    const volume = coreV1Volume.Volume.fromPartial({ name: volumeName, persistentVolumeClaim: { claimName: claimName(volumeName, setName, ordinal), readOnly: false } });
    const at = spec.volumes.findIndex((v) => v.name === volumeName);
    if (at >= 0) spec.volumes[at] = volume;
    else spec.volumes.push(volume);
  }
  return coreV1Pod.Pod.fromPartial({
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      namespace: set.metadata!.namespace,
      labels: {
        ...(template.metadata?.labels ?? {}),
        [POD_NAME_LABEL]: name,
        [POD_INDEX_LABEL]: String(ordinal),
        [CONTROLLER_REVISION_HASH]: revision.metadata!.name,
      },
      annotations: { ...(template.metadata?.annotations ?? {}) },
      ownerReferences: [newControllerRef(set)],
    },
    spec,
  });
}
