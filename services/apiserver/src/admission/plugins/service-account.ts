// ServiceAccount (Kubernetes' plugin of that name): every pod runs as a ServiceAccount and, unless it opts out,
// gets the projected kube-api-access volume (token, ca.crt, namespace) mounted in every container.
import { randomInt } from "node:crypto";
import { apiErrors, coreV1Pod, coreV1Volume, kindFor, type coreV1Config, type KindInfo } from "@kubeplane/api";
import type { AdmissionAttributes, AdmissionStore, MutatingAdmissionPlugin } from "../interfaces.js";

/** Where containers find their ServiceAccount credentials. */
export const SERVICE_ACCOUNT_MOUNT_PATH = "/var/run/secrets/kubernetes.io/serviceaccount";
/** Prefix of the admission-injected volume's name. */
export const API_ACCESS_VOLUME_PREFIX = "kube-api-access-";
/** The ConfigMap every namespace holds with the cluster CA (the root-ca publisher keeps it). */
export const ROOT_CA_CONFIGMAP = "kube-root-ca.crt";
/** Kubernetes' odd-on-purpose default: 3607 s marks tokens the kubelet asked for through this volume. */
export const TOKEN_VOLUME_EXPIRATION_SECONDS = 3607;
const MIRROR_POD_ANNOTATION = "kubernetes.io/config.mirror";
const NAME_CHARS = "bcdfghjklmnpqrstvwxz2456789";

const serviceAccounts = kindFor("v1", "ServiceAccount") as KindInfo<coreV1Config.ServiceAccount>;

/** The projected volume Kubernetes' admission injects (TokenVolumeSource), named `name`. */
export function apiAccessVolume(name: string): coreV1Volume.Volume {
  return coreV1Volume.Volume.fromPartial({
    name,
    projected: {
      defaultMode: 0o644,
      sources: [
        { serviceAccountToken: { expirationSeconds: TOKEN_VOLUME_EXPIRATION_SECONDS, path: "token", audience: "" } },
        { configMap: { name: ROOT_CA_CONFIGMAP, items: [{ key: "ca.crt", path: "ca.crt" }] } },
        { downwardApi: { items: [{ path: "namespace", fieldRef: { apiVersion: "v1", fieldPath: "metadata.namespace" } }] } },
      ],
    },
  });
}

/**
 * Admits pods: serviceAccountName defaults to `default` (the deprecated serviceAccount follows it);
 * the ServiceAccount must exist (Forbidden otherwise, as Kubernetes: the serviceaccount controller
 * creates `default` in every namespace); unless the pod or its ServiceAccount sets
 * automountServiceAccountToken false, a `kube-api-access-xxxxx` projected volume is added (unless
 * one is there) and mounted read-only at SERVICE_ACCOUNT_MOUNT_PATH in every container and init
 * container that mounts nothing there. Mirror pods are left alone.
 */
export class ServiceAccountAdmission implements MutatingAdmissionPlugin {
  readonly name = "ServiceAccount";

  handles(attrs: AdmissionAttributes): boolean {
    return attrs.operation === "CREATE" && attrs.subresource === "" && attrs.info.group === "" && attrs.info.resource === "pods";
  }

  async admit(attrs: AdmissionAttributes, store: AdmissionStore): Promise<void> {
    const pod = attrs.object as coreV1Pod.Pod;
    if (pod.metadata?.annotations[MIRROR_POD_ANNOTATION] !== undefined) return;
    const spec = (pod.spec ??= coreV1Pod.PodSpec.fromPartial({}));
    spec.serviceAccountName ||= spec.serviceAccount || "default";
    spec.serviceAccount = spec.serviceAccountName;
    const namespace = pod.metadata?.namespace ?? "";
    const sa = await store.get(serviceAccounts, namespace, spec.serviceAccountName);
    if (!sa) {
      throw apiErrors.forbidden(
        { resource: "pods", name: pod.metadata?.name ?? "" },
        `error looking up service account ${namespace}/${spec.serviceAccountName}: serviceaccount "${spec.serviceAccountName}" not found`,
      );
    }
    if ((spec.automountServiceAccountToken ?? sa.automountServiceAccountToken ?? true) === false) return;
    mountApiAccess(spec);
  }
}

function mountApiAccess(spec: coreV1Pod.PodSpec): void {
  let volume = spec.volumes.find((v) => v.name.startsWith(API_ACCESS_VOLUME_PREFIX));
  if (!volume) {
    const taken = new Set(spec.volumes.map((v) => v.name));
    let name: string;
    do name = API_ACCESS_VOLUME_PREFIX + Array.from({ length: 5 }, () => NAME_CHARS[randomInt(NAME_CHARS.length)]).join("");
    while (taken.has(name));
    volume = apiAccessVolume(name);
    spec.volumes.push(volume);
  }
  for (const container of [...spec.initContainers, ...spec.containers]) {
    if (container.volumeMounts.some((m) => m.mountPath === SERVICE_ACCOUNT_MOUNT_PATH)) continue;
    container.volumeMounts.push(coreV1Volume.VolumeMount.fromPartial({ name: volume.name, readOnly: true, mountPath: SERVICE_ACCOUNT_MOUNT_PATH }));
  }
}
