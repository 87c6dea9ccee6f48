// DNS name helpers: canonical form, reverse (PTR) names and IP-derived endpoint labels.
import { isIP } from "node:net";

/** The canonical form of a name: lower case, no trailing dot ("Web.Default.svc." → "web.default.svc"). */
export function canonicalName(name: string): string {
  const trimmed = name.endsWith(".") ? name.slice(0, -1) : name;
  return trimmed.toLowerCase();
}

/** Whether canonical `name` is `zone` or below it. */
export function inZone(name: string, zone: string): boolean {
  return name === zone || (name.length > zone.length && name.endsWith(zone) && name.charCodeAt(name.length - zone.length - 1) === 46);
}

/** Expands an IPv6 address to its 8 groups of 4 hex digits. */
function expandIpv6(ip: string): string[] {
  const [head = "", tail] = ip.split("::");
  const parse = (part: string): string[] => (part === "" ? [] : part.split(":"));
  let groups = parse(head);
  if (tail !== undefined) {
    const rest = parse(tail);
    groups = [...groups, ...Array<string>(8 - groups.length - rest.length).fill("0"), ...rest];
  }
  const last = groups[7] ?? "";
  if (last.includes(".")) {
    // An embedded IPv4 address (::ffff:1.2.3.4) is the last two groups.
    const o = last.split(".").map(Number);
    groups = [...groups.slice(0, 6), ((o[0]! << 8) | o[1]!).toString(16), ((o[2]! << 8) | o[3]!).toString(16)];
  }
  return groups.map((g) => g.padStart(4, "0").toLowerCase());
}

/** The PTR name of an IP ("10.96.0.10" → "10.0.96.10.in-addr.arpa"); undefined for a non-IP. */
export function reverseName(ip: string): string | undefined {
  switch (isIP(ip)) {
    case 4:
      return `${ip.split(".").reverse().join(".")}.in-addr.arpa`;
    case 6:
      return `${expandIpv6(ip).join("").split("").reverse().join(".")}.ip6.arpa`;
    default:
      return undefined;
  }
}

/** The label CoreDNS gives an endpoint without a hostname: its address with dashes ("10.1.0.5" → "10-1-0-5"). */
export function dashedIp(ip: string): string {
  return isIP(ip) === 6 ? expandIpv6(ip).join("-") : ip.replace(/\./g, "-");
}

/** Whether `name` is under a reverse-lookup zone (in-addr.arpa or ip6.arpa). */
export function isReverseName(name: string): boolean {
  return name.endsWith(".in-addr.arpa") || name.endsWith(".ip6.arpa") || name === "in-addr.arpa" || name === "ip6.arpa";
}
