// Table output (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`): kubectl's columns, from libs/api's printers.
import { columnsFor, type KindInfo } from "@kubeplane/api";

/** Whether the Accept header asks for a meta.k8s.io Table (v1 or v1beta1). */
export function wantsTable(accept: string | undefined): boolean {
  return !!accept && accept.split(",").some((t) => /(^|;)\s*as=Table\s*(;|$)/.test(t) && /g=meta\.k8s\.io/.test(t));
}

export type IncludeObject = "None" | "Object" | "Metadata";

export function includeObjectOf(query: URLSearchParams): IncludeObject {
  const v = query.get("includeObject");
  return v === "None" || v === "Object" ? v : "Metadata";
}

function columnDefinitions(info: KindInfo): Record<string, unknown>[] {
  const columns = columnsFor(info);
  const def = (name: string, priority: number): Record<string, unknown> => ({
    name: name.charAt(0) + name.slice(1).toLowerCase(),
    type: "string",
    format: name === "NAME" ? "name" : "",
    description: "",
    priority,
  });
  return [...columns.headers.map((h) => def(h, 0)), ...(columns.wideHeaders ?? []).map((h) => def(h, 1))];
}

function row(info: KindInfo, obj: Record<string, unknown>, include: IncludeObject, now: Date): Record<string, unknown> {
  const columns = columnsFor(info);
  const cells = [...columns.row(obj, now), ...(columns.wideRow?.(obj, now) ?? [])];
  const object =
    include === "None"
      ? undefined
      : include === "Object"
        ? obj
        : { kind: "PartialObjectMetadata", apiVersion: "meta.k8s.io/v1", metadata: obj["metadata"] };
  return { cells, ...(object ? { object } : {}) };
}

/**
 * A Table of `objects` (Kubernetes JSON). `withColumns` false leaves the column definitions out, as
 * kube-apiserver does for every watch event after the first.
 */
export function toTable(
  info: KindInfo,
  objects: Record<string, unknown>[],
  opts: { include: IncludeObject; resourceVersion?: string; continueToken?: string; withColumns?: boolean },
): Record<string, unknown> {
  const now = new Date();
  return {
    kind: "Table",
    apiVersion: "meta.k8s.io/v1",
    metadata: { ...(opts.resourceVersion ? { resourceVersion: opts.resourceVersion } : {}), ...(opts.continueToken ? { continue: opts.continueToken } : {}) },
    columnDefinitions: opts.withColumns === false ? null : columnDefinitions(info),
    rows: objects.map((o) => row(info, o, opts.include, now)),
  };
}
