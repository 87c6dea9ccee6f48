// The files of configMap and secret volumes: which keys, under which paths, with which modes (the kubelet's MakePayload).

import type { coreV1Config, coreV1Types } from "@kubeplane/api";
import type { FileProjection } from "./atomic-writer.js";

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
