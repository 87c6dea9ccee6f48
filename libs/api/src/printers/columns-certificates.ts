// Table columns of certificates.k8s.io kinds, as kubectl prints them.
import type { JsonObject } from "./column-helpers.js";
import { arr, str } from "./json-fields.js";
import { humanDuration } from "./age.js";
import { created, name, orNone, type TableColumns } from "./column-helpers.js";

/** kubectl's CONDITION of a CSR: its True condition types (Approved, Denied, Failed) plus Issued, or Pending. */
function csrCondition(o: JsonObject): string {
  const types = arr(o, "status", "conditions")
    .filter((c) => (str(c, "status") || "True") === "True")
    .map((c) => str(c, "type"));
  if (str(o, "status", "certificate")) types.push("Issued");
  return types.length ? types.join(",") : "Pending";
}

export const csrColumns: TableColumns = {
  headers: ["NAME", "AGE", "SIGNERNAME", "REQUESTOR", "REQUESTEDDURATION", "CONDITION"],
  row: (o, now) => {
    const seconds = (o.spec as { expirationSeconds?: number } | undefined)?.expirationSeconds;
    return [name(o), created(o, now), str(o, "spec", "signerName"), str(o, "spec", "username"), seconds ? humanDuration(seconds * 1000) : orNone(""), csrCondition(o)];
  },
};
