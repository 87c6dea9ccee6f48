// kubectl's table columns for networking, discovery, coordination, scheduling and storage kinds.
import type { JsonObject } from "./column-helpers.js";
import { arr, at, num, str } from "./json-fields.js";
import { created, name, orNone, selectorText, type TableColumns } from "./column-helpers.js";

export const leaseColumns: TableColumns = {
  headers: ["NAME", "HOLDER", "AGE"],
  row: (o, now) => [name(o), str(o, "spec", "holderIdentity"), created(o, now)],
};

function ingressPorts(o: JsonObject): string {
  return arr(o, "spec", "tls").length > 0 ? "80, 443" : "80";
}

export const ingressColumns: TableColumns = {
  headers: ["NAME", "CLASS", "HOSTS", "ADDRESS", "PORTS", "AGE"],
  row: (o, now) => {
    const hosts = arr(o, "spec", "rules").map((r) => str(r, "host") || "*");
    const address = arr(o, "status", "loadBalancer", "ingress").map((i) => str(i, "ip") || str(i, "hostname"));
    return [name(o), orNone(str(o, "spec", "ingressClassName")), hosts.length ? hosts.join(",") : "*", address.join(","), ingressPorts(o), created(o, now)];
  },
};

export const networkPolicyColumns: TableColumns = {
  headers: ["NAME", "POD-SELECTOR", "AGE"],
  row: (o, now) => [name(o), selectorText(at(o, "spec", "podSelector")), created(o, now)],
};

export const priorityClassColumns: TableColumns = {
  headers: ["NAME", "VALUE", "GLOBAL-DEFAULT", "AGE", "PREEMPTIONPOLICY"],
  row: (o, now) => [
    name(o),
    String(num(o, "value") ?? 0),
    at(o, "globalDefault") === true ? "true" : "false",
    created(o, now),
    str(o, "preemptionPolicy") || "PreemptLowerPriority",
  ],
};

export const storageClassColumns: TableColumns = {
  headers: ["NAME", "PROVISIONER", "RECLAIMPOLICY", "VOLUMEBINDINGMODE", "ALLOWVOLUMEEXPANSION", "AGE"],
  row: (o, now) => {
    const isDefault = str(o, "metadata", "annotations", "storageclass.kubernetes.io/is-default-class") === "true";
    return [
      isDefault ? `${name(o)} (default)` : name(o),
      str(o, "provisioner"),
      str(o, "reclaimPolicy") || "Delete",
      str(o, "volumeBindingMode") || "Immediate",
      at(o, "allowVolumeExpansion") === true ? "true" : "false",
      created(o, now),
    ];
  },
};

/** kubectl's PodDisruptionBudget columns: an unset bound prints N/A. */
export const podDisruptionBudgetColumns: TableColumns = {
  headers: ["NAME", "MIN AVAILABLE", "MAX UNAVAILABLE", "ALLOWED DISRUPTIONS", "AGE"],
  row: (o, now) => {
    const bound = (field: string): string => {
      const v = at(o, "spec", field);
      return v === undefined || v === null ? "N/A" : String(v);
    };
    return [name(o), bound("minAvailable"), bound("maxUnavailable"), String(num(o, "status", "disruptionsAllowed") ?? 0), created(o, now)];
  },
};

export const endpointSliceColumns: TableColumns = {
  headers: ["NAME", "ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE"],
  row: (o, now) => {
    const ports = arr(o, "ports").map((p) => String(num(p, "port") ?? 0));
    const addresses = arr(o, "endpoints").flatMap((e) => arr(e, "addresses").map(String));
    const shown = addresses.slice(0, 3).join(",") + (addresses.length > 3 ? ` + ${addresses.length - 3} more...` : "");
    return [name(o), str(o, "addressType"), ports.length ? ports.join(",") : "<unset>", orNone(shown), created(o, now)];
  },
};
