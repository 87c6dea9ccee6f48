// `-o json|yaml|name`: objects as kubectl prints them (one object alone, several as a `kind: List`).
import type { KindInfo } from "@kubeplane/api";
import type { JsonObject } from "@kubeplane/client";
import { stringify } from "yaml";
import { str } from "../json-fields.js";
import { objectRef } from "../resource-names.js";

export type DataFormat = "json" | "yaml";

/** A `v1 List` of the objects, keys in kubectl's (sorted) order, as `kubectl get -o yaml` prints several. */
export function asList(items: readonly JsonObject[]): JsonObject {
  return { apiVersion: "v1", items: [...items], kind: "List", metadata: { resourceVersion: "" } };
}

export function formatData(value: unknown, format: DataFormat): string {
  return format === "json" ? `${JSON.stringify(value, null, 4)}\n` : stringify(value, { lineWidth: 0 });
}

/** `-o name`: `deployment.apps/nginx`. */
export function formatName(info: KindInfo, obj: JsonObject): string {
  return `${objectRef(info, str(obj, "metadata", "name"))}\n`;
}
