// Pod A/AAAA records `<a-b-c-d>.<ns>.pod.<zone>`, synthesised from the name (CoreDNS's `pods insecure`).
import { isIP } from "node:net";
import { emptyRecords, type NameRecords } from "./service-records.js";

/** A DNS label (RFC 1123), as a namespace name must be. */
const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * The address a dashed pod label stands for, as CoreDNS parses it: seven dashes or a `--` make an
 * IPv6 address (dashes become colons, so `fd00--5` is `fd00::5`), otherwise dashes become dots.
 * Undefined when the result is not an IP address.
 */
export function podLabelAddress(label: string): string | undefined {
  const dashes = label.split("-").length - 1;
  const v6 = dashes === 7 || label.includes("--");
  const candidate = v6 ? label.replace(/-/g, ":") : label.replace(/-/g, ".");
  return isIP(candidate) === (v6 ? 6 : 4) ? candidate : undefined;
}

/**
 * What the pod subtree of the zone holds for canonical `qname`, or undefined when `qname` is not
 * under `pod.<zone>`. "nxdomain": no such name; "nodata": the name exists without records
 * (`pod.<zone>`, `<ns>.pod.<zone>`); otherwise the single A or AAAA of a well-formed dashed
 * address. Any namespace that is a valid label answers: no Namespace informer is kept (as for
 * `<ns>.svc.<zone>`), and the address is not checked against a pod (the `insecure` mode).
 */
export function podRecords(qname: string, zone: string): NameRecords | "nodata" | "nxdomain" | undefined {
  const apex = `pod.${zone}`;
  if (qname === apex) return "nodata";
  if (!qname.endsWith(`.${apex}`)) return undefined;
  const labels = qname.slice(0, -apex.length - 1).split(".");
  const ns = labels[labels.length - 1] ?? "";
  if (labels.length > 2 || !LABEL.test(ns)) return "nxdomain";
  if (labels.length === 1) return "nodata";
  const address = podLabelAddress(labels[0] ?? "");
  if (!address) return "nxdomain";
  const records = emptyRecords();
  (address.includes(":") ? records.aaaa : records.a).push(address);
  return records;
}
