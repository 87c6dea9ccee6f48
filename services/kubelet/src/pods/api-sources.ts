// What containers' environment and volumes read from the API (ConfigMaps, Secrets, claims and
// volumes), fetched when a container starts or a volume is refreshed.
import { isNotFound, kindFor, type coreV1Config, type coreV1Pod, type coreV1Volume, type KindInfo } from "@kubeplane/api";
import type { ApiClient } from "@kubeplane/client";
import type { EnvContext } from "../container/env.js";
import type { VolumeContext } from "../container/volumes.js";
import { TokenManager } from "../container/token-manager.js";

const configMaps = kindFor("v1", "ConfigMap") as KindInfo<coreV1Config.ConfigMap>;
const secrets = kindFor("v1", "Secret") as KindInfo<coreV1Config.Secret>;
const claims = kindFor("v1", "PersistentVolumeClaim") as KindInfo<coreV1Volume.PersistentVolumeClaim>;
const volumes = kindFor("v1", "PersistentVolume") as KindInfo<coreV1Volume.PersistentVolume>;

async function getOrUndefined<T>(fetch: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fetch();
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** The pod syncer's envContext and volumeContext over the API client. */
export function kubeletApiSources(
  client: ApiClient,
  node: { nodeName: string; nodeIp: string; rootDir: string },
): { envContext: (pod: coreV1Pod.Pod, podIps: readonly string[]) => EnvContext; volumeContext: VolumeContext } {
  const getConfigMap = (ns: string, name: string): Promise<coreV1Config.ConfigMap | undefined> => getOrUndefined(async () => (await client.get(configMaps, ns, name)) as coreV1Config.ConfigMap);
  const getSecret = (ns: string, name: string): Promise<coreV1Config.Secret | undefined> => getOrUndefined(async () => (await client.get(secrets, ns, name)) as coreV1Config.Secret);
  // Projected tokens: requested through TokenRequest bound to the pod, as the kubelet's token manager does.
  const tokens = new TokenManager((key) =>
    client.createToken(key.namespace, key.serviceAccount, {
      audiences: key.audience ? [key.audience] : [],
      expirationSeconds: key.expirationSeconds,
      boundPod: { name: key.podName, uid: key.podUid },
    }),
  );
  return {
    envContext: (_pod, podIps) => ({ getConfigMap, getSecret, podIp: podIps[0] ?? "", podIps: [...podIps], hostIp: node.nodeIp, nodeName: node.nodeName }),
    volumeContext: {
      rootDir: node.rootDir,
      getConfigMap,
      getSecret,
      getPvc: (ns, name) => getOrUndefined(async () => (await client.get(claims, ns, name)) as coreV1Volume.PersistentVolumeClaim),
      getServiceAccountToken: (pod, audience, expirationSeconds) =>
        tokens.getToken({
          namespace: pod.metadata?.namespace ?? "",
          serviceAccount: pod.spec?.serviceAccountName || "default",
          podName: pod.metadata?.name ?? "",
          podUid: pod.metadata?.uid ?? "",
          audience,
          expirationSeconds,
        }),
      node: { nodeName: node.nodeName, hostIp: node.nodeIp },
      getPv: (name) => getOrUndefined(async () => (await client.get(volumes, "", name)) as coreV1Volume.PersistentVolume),
    },
  };
}
