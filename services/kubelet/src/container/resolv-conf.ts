// Parsing of a resolv.conf (the host's, for dnsPolicy Default) into the CRI's DnsConfig shape.

import type { DnsConfig } from "../runtime/types.js";

/**
 * Parses resolv.conf text as the kubelet's parseResolvConf: every `nameserver`, the last `search` line
 * (trailing dots trimmed, "." dropped), and `options` merged by name (a later option overrides).
 * Comments (# or ;) and unknown lines are ignored.
 */
export function parseResolvConf(text: string): DnsConfig {
  const servers: string[] = [];
  let searches: string[] = [];
  let options: string[] = [];
  for (const rawLine of text.split("\n")) {
    const line = rawLine.replace(/[#;].*$/, "");
    const fields = line.split(/\s+/).filter((f) => f !== "");
    const [keyword, ...rest] = fields;
    if (keyword === "nameserver" && rest[0]) servers.push(rest[0]);
    else if (keyword === "search") searches = rest.filter((s) => s !== ".").map((s) => s.replace(/\.$/, ""));
    else if (keyword === "options") options = mergeOptions(options, rest);
  }
  return { servers, searches, options };
}

/** Merges resolver options by name (`ndots:5` and `ndots:2` share the name ndots); later ones win, order kept. */
export function mergeOptions(existing: string[], added: string[]): string[] {
  const byName = new Map<string, string>();
  for (const option of [...existing, ...added]) byName.set(option.split(":")[0] ?? option, option);
  return [...byName.values()];
}
