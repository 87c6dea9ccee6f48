// The files of configMap, secret and projected volumes: which keys, under which paths, with which modes (the kubelet's MakePayload).

import type { coreV1Config, coreV1Pod, coreV1Types, coreV1Volume } from "@kubeplane/api";
import type { FileProjection } from "./atomic-writer.js";
import { podFieldValue, type FieldRefContext } from "./field-ref.js";

/** The mode of projected files when the volume sets no defaultMode (Kubernetes' 0644). */
export const DEFAULT_FILE_MODE = 0o644;

/** Thrown when an item names a key the object does not have and the volume is not optional. */
export class MissingKeyError extends Error {
  override readonly name = "MissingKeyError";
  readonly code = "MissingKey";

  constructor(
    readonly key: string,
    message: string,
  ) {
    super(message);
  }
}

function payload(
  data: Map<string, Uint8Array>,
  items: coreV1Types.KeyToPath[],
  defaultMode: number | undefined,
  optional: boolean,
  missing: (key: string) => string,
): Map<string, FileProjection> {
  const mode = defaultMode ?? DEFAULT_FILE_MODE;
  const out = new Map<string, FileProjection>();
  if (items.length === 0) {
    for (const [key, bytes] of data) out.set(key, { data: bytes, mode });
    return out;
  }
  for (const item of items) {
    const bytes = data.get(item.key);
    if (!bytes) {
      if (optional) continue;
      throw new MissingKeyError(item.key, missing(item.key));
    }
    out.set(item.path, { data: bytes, mode: item.mode ?? mode });
  }
  return out;
}

/** The files of a configMap volume: data and binaryData keys (or only items), empty for a missing optional map. */
export function configMapPayload(
  cm: coreV1Config.ConfigMap | undefined,
  items: coreV1Types.KeyToPath[],
  defaultMode: number | undefined,
  optional: boolean,
): Map<string, FileProjection> {
  const data = new Map<string, Uint8Array>();
  for (const [k, v] of Object.entries(cm?.data ?? {})) data.set(k, Buffer.from(v, "utf8"));
  for (const [k, v] of Object.entries(cm?.binaryData ?? {})) data.set(k, Buffer.from(v, "base64"));
  return payload(data, items, defaultMode, optional, (key) => `configmap references non-existent config key: ${key}`);
}

/** The files of a secret volume: its data keys decoded from base64 (or only items). */
export function secretPayload(
  secret: coreV1Config.Secret | undefined,
  items: coreV1Types.KeyToPath[],
  defaultMode: number | undefined,
  optional: boolean,
): Map<string, FileProjection> {
  const data = new Map<string, Uint8Array>();
  for (const [k, v] of Object.entries(secret?.data ?? {})) data.set(k, Buffer.from(v, "base64"));
  return payload(data, items, defaultMode, optional, (key) => `references non-existent secret key: ${key}`);
}

/** What a projected volume's sources read besides configMaps and secrets. */
export interface ProjectionSources {
  getConfigMap(ns: string, name: string): Promise<coreV1Config.ConfigMap | undefined>;
  getSecret(ns: string, name: string): Promise<coreV1Config.Secret | undefined>;
  /** The pod's ServiceAccount token for an audience ("" : the apiserver's) and lifetime; rejects when none can be had. */
  getServiceAccountToken?(pod: coreV1Pod.Pod, audience: string, expirationSeconds: number): Promise<string>;
  fieldRefContext: FieldRefContext;
}

/** Kubernetes' default lifetime of a projected token that sets none. */
const DEFAULT_PROJECTED_TOKEN_SECONDS = 3600;

/**
 * The files of a projected volume: each source's files, merged (the apiserver refused overlapping
 * paths). A missing configMap or secret (or key) fails unless the source is optional. Throws Error
 * or MissingKeyError with the kubelet's wording.
 */
export async function projectedPayload(pod: coreV1Pod.Pod, src: coreV1Volume.ProjectedVolumeSource, sources: ProjectionSources): Promise<Map<string, FileProjection>> {
  const ns = pod.metadata?.namespace ?? "";
  const mode = src.defaultMode ?? DEFAULT_FILE_MODE;
  const out = new Map<string, FileProjection>();
  const add = (files: Map<string, FileProjection>): void => files.forEach((f, p) => out.set(p, f));
  for (const source of src.sources) {
    if (source.configMap) {
      const s = source.configMap;
      const cm = await sources.getConfigMap(ns, s.name);
      if (!cm && !s.optional) throw new Error(`configmap "${s.name}" not found`);
      add(configMapPayload(cm, s.items, mode, s.optional ?? false));
    } else if (source.secret) {
      const s = source.secret;
      const secret = await sources.getSecret(ns, s.name);
      if (!secret && !s.optional) throw new Error(`secret "${s.name}" not found`);
      add(secretPayload(secret, s.items, mode, s.optional ?? false));
    } else if (source.downwardApi) {
      for (const item of source.downwardApi.items) {
        if (!item.fieldRef) throw new Error(`downwardAPI item ${JSON.stringify(item.path)}: only fieldRef is supported`);
        const value = podFieldValue(pod, item.fieldRef.fieldPath, sources.fieldRefContext);
        if (value === undefined) throw new Error(`unsupported fieldPath ${JSON.stringify(item.fieldRef.fieldPath)}`);
        out.set(item.path, { data: Buffer.from(value, "utf8"), mode: item.mode ?? mode });
      }
    } else if (source.serviceAccountToken) {
      const s = source.serviceAccountToken;
      if (!sources.getServiceAccountToken) throw new Error("this kubelet cannot request ServiceAccount tokens");
      const token = await sources.getServiceAccountToken(pod, s.audience, s.expirationSeconds ?? DEFAULT_PROJECTED_TOKEN_SECONDS);
      out.set(s.path, { data: Buffer.from(token, "utf8"), mode });
    }
  }
  return out;
}
