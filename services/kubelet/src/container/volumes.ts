// Sets up a pod's volumes on the node (emptyDir, hostPath, configMap, secret, projected, persistentVolumeClaim) and removes them.

import type { coreV1Config, coreV1Pod, coreV1Volume } from "@kubeplane/api";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { podDir, podVolumeDir } from "../paths.js";
import { writeAtomically } from "./atomic-writer.js";
import { VolumeSetupError } from "./errors.js";
import { checkHostPathType } from "./host-path.js";
import { configMapPayload, projectedPayload, secretPayload } from "./projection.js";

export { containerMounts, type ContainerMountsOptions } from "./mounts.js";

/** What preparePodVolumes reads: the kubelet's root directory and object getters (undefined: not found). */
export interface VolumeContext {
  rootDir: string;
  getConfigMap(ns: string, name: string): Promise<coreV1Config.ConfigMap | undefined>;
  getSecret(ns: string, name: string): Promise<coreV1Config.Secret | undefined>;
  getPvc(ns: string, name: string): Promise<coreV1Volume.PersistentVolumeClaim | undefined>;
  getPv(name: string): Promise<coreV1Volume.PersistentVolume | undefined>;
  /** A ServiceAccount token bound to the pod (projected serviceAccountToken sources); absent: such volumes fail. */
  getServiceAccountToken?(pod: coreV1Pod.Pod, audience: string, expirationSeconds: number): Promise<string>;
  /** Node facts for projected downwardAPI items (spec.nodeName, status.hostIP); default empty. */
  node?: { nodeName: string; hostIp: string };
}

/**
 * Sets up every volume of the pod and returns volume name -> host path. Idempotent: the pod worker calls
 * it on each sync, which also refreshes configMap and secret volumes (changed content swapped in atomically,
 * removed keys dropped). emptyDir lives under the pod's directory (medium Memory is not backed by tmpfs
 * here); hostPath is checked by type; a claim must be Bound to a PV with a hostPath or local source.
 * A projected volume (the kube-api-access one: token, ca.crt, namespace) is rewritten atomically
 * on each call, so its token is renewed as the token manager renews it.
 * Volume kinds this kubelet does not support (downwardAPI, csi) are skipped and absent from the
 * result, so mounting them fails in containerMounts. Throws VolumeSetupError naming the volume; volumes
 * before the failing one stay set up. Not safe to call concurrently for the same pod.
 */
export async function preparePodVolumes(pod: coreV1Pod.Pod, ctx: VolumeContext): Promise<Map<string, string>> {
  const paths = new Map<string, string>();
  for (const volume of pod.spec?.volumes ?? []) {
    try {
      const path = await prepareVolume(pod, volume, ctx);
      if (path !== undefined) paths.set(volume.name, path);
    } catch (err) {
      if (err instanceof VolumeSetupError) throw err;
      throw new VolumeSetupError(volume.name, (err as Error).message, { cause: err });
    }
  }
  return paths;
}

async function prepareVolume(pod: coreV1Pod.Pod, volume: coreV1Volume.Volume, ctx: VolumeContext): Promise<string | undefined> {
  const ns = pod.metadata?.namespace ?? "";
  const uid = pod.metadata?.uid ?? "";
  if (volume.emptyDir) {
    const dir = podVolumeDir(ctx.rootDir, uid, "empty-dir", volume.name);
    await mkdir(dir, { recursive: true, mode: 0o777 });
    return dir;
  }
  if (volume.hostPath) {
    await checkHostPathType(volume.hostPath.path, volume.hostPath.type);
    return volume.hostPath.path;
  }
  if (volume.configMap) {
    const src = volume.configMap;
    const cm = await ctx.getConfigMap(ns, src.name);
    if (!cm && !src.optional) throw new VolumeSetupError(volume.name, `configmap "${src.name}" not found`);
    const dir = podVolumeDir(ctx.rootDir, uid, "configmap", volume.name);
    await writeAtomically(dir, configMapPayload(cm, src.items, src.defaultMode, src.optional ?? false));
    return dir;
  }
  if (volume.secret) {
    const src = volume.secret;
    const secret = await ctx.getSecret(ns, src.secretName);
    if (!secret && !src.optional) throw new VolumeSetupError(volume.name, `secret "${src.secretName}" not found`);
    const dir = podVolumeDir(ctx.rootDir, uid, "secret", volume.name);
    await writeAtomically(dir, secretPayload(secret, src.items, src.defaultMode, src.optional ?? false));
    return dir;
  }
  if (volume.projected) {
    const node = ctx.node ?? { nodeName: "", hostIp: "" };
    const payload = await projectedPayload(pod, volume.projected, {
      getConfigMap: ctx.getConfigMap,
      getSecret: ctx.getSecret,
      ...(ctx.getServiceAccountToken ? { getServiceAccountToken: ctx.getServiceAccountToken } : {}),
      fieldRefContext: { podIp: "", podIps: [], hostIp: node.hostIp, nodeName: node.nodeName },
    });
    const dir = podVolumeDir(ctx.rootDir, uid, "projected", volume.name);
    await writeAtomically(dir, payload);
    return dir;
  }
  if (volume.persistentVolumeClaim) return claimPath(ns, volume, volume.persistentVolumeClaim.claimName, ctx);
  return undefined;
}

async function claimPath(ns: string, volume: coreV1Volume.Volume, claimName: string, ctx: VolumeContext): Promise<string> {
  const pvc = await ctx.getPvc(ns, claimName);
  if (!pvc) throw new VolumeSetupError(volume.name, `persistentvolumeclaim "${claimName}" not found`);
  const phase = pvc.status?.phase ?? "";
  const pvName = pvc.spec?.volumeName ?? "";
  if (phase !== "Bound" || pvName === "") {
    throw new VolumeSetupError(
      volume.name,
      `PVC ${ns}/${claimName} has non-bound phase (${JSON.stringify(phase)}) or empty pvc.Spec.VolumeName (${JSON.stringify(pvName)})`,
    );
  }
  const pv = await ctx.getPv(pvName);
  if (!pv) throw new VolumeSetupError(volume.name, `persistentvolume "${pvName}" not found`);
  if (pv.spec?.hostPath) {
    await checkHostPathType(pv.spec.hostPath.path, pv.spec.hostPath.type);
    return pv.spec.hostPath.path;
  }
  if (pv.spec?.local) return pv.spec.local.path;
  throw new VolumeSetupError(volume.name, `persistentvolume "${pvName}" has no hostPath or local source this kubelet can mount`);
}

/** Removes every volume directory of the pod (<rootDir>/pods/<uid>/volumes); host paths are never touched. */
export async function removePodVolumes(rootDir: string, uid: string): Promise<void> {
  await rm(join(podDir(rootDir, uid), "volumes"), { recursive: true, force: true });
}
