// Builders of pods, containers, ConfigMaps and Secrets for the container/ unit tests (filled with generated defaults).

import { coreV1Config, coreV1Pod, type coreV1Volume, type metaV1 } from "@kubeplane/api";

/** A container named name with the generated defaults overridden by fields. */
export function container(name: string, fields: Partial<coreV1Pod.Container> = {}): coreV1Pod.Container {
  return { ...coreV1Pod.Container.fromPartial({ name }), ...fields };
}

/** A pod default/web (uid u1) with the given spec fields and volumes. */
export function pod(spec: Partial<coreV1Pod.PodSpec> = {}, meta: Partial<metaV1.ObjectMeta> = {}): coreV1Pod.Pod {
  return coreV1Pod.Pod.fromPartial({
    metadata: { name: "web", namespace: "default", uid: "u1", ...meta },
    spec: { ...spec } as coreV1Pod.PodSpec,
  });
}

/** A ConfigMap with the given data. */
export function configMap(name: string, data: Record<string, string>, binaryData: Record<string, string> = {}): coreV1Config.ConfigMap {
  return coreV1Config.ConfigMap.fromPartial({ metadata: { name, namespace: "default" }, data, binaryData });
}

/** A Secret whose data are given as plain text (stored base64 like the API). */
export function secret(name: string, plain: Record<string, string>): coreV1Config.Secret {
  const data = Object.fromEntries(Object.entries(plain).map(([k, v]) => [k, Buffer.from(v).toString("base64")]));
  return coreV1Config.Secret.fromPartial({ metadata: { name, namespace: "default" }, data });
}

/** A volume named name with one source set. */
export function volume(name: string, source: Partial<coreV1Volume.Volume>): coreV1Volume.Volume {
  return { name, ...source } as coreV1Volume.Volume;
}
