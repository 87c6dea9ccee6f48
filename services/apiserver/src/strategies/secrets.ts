// The Secret strategy: write-only stringData is merged into data on every write.
import type { ApiObject } from "@kubeplane/api";
import { defaultStrategy, type Strategy } from "./strategy.js";

/** A Secret's stringData is merged into data (base64), winning over data's keys, as Kubernetes does. */
function mergeStringData(obj: ApiObject): void {
  const secret = obj as ApiObject & { data: Record<string, string>; stringData: Record<string, string> };
  for (const [k, v] of Object.entries(secret.stringData ?? {})) secret.data[k] = Buffer.from(v, "utf8").toString("base64");
  secret.stringData = {};
}

export const secretStrategy: Strategy = {
  ...defaultStrategy,
  prepareForCreate: (_info, obj) => mergeStringData(obj),
  prepareForUpdate(info, obj, old) {
    mergeStringData(obj);
    defaultStrategy.prepareForUpdate(info, obj, old);
  },
};
