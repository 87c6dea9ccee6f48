// Which IP families kube-proxy programs (one nftables table and one proxier each) and the ruleset options of each.
import type { KubeProxyConfig } from "./config.js";
import type { NftFamily, RulesetOptions } from "./ruleset.js";
import type { IpFamily } from "./service-port.js";

/** One family kube-proxy programs: the Services' family and its table's options. */
export interface ProxiedFamily {
  family: IpFamily;
  ruleset: RulesetOptions & { family: NftFamily };
}

/**
 * The families kube-proxy programs, each with its ruleset options: IPv4 always; IPv6 too when
 * --cluster-cidr names an IPv6 CIDR (a dual-stack cluster). --nodeport-addresses CIDRs go to
 * the table of their family.
 */
export function proxiedFamilies(config: Pick<KubeProxyConfig, "clusterCidr" | "nodeportAddresses" | "masqueradeBit">): ProxiedFamily[] {
  const cidrs = config.clusterCidr.split(",").filter(Boolean);
  const v6 = (c: string): boolean => c.includes(":");
  const ruleset = (family: NftFamily): RulesetOptions & { family: NftFamily } => ({
    family,
    nodeportAddresses: nodeportAddressesOf(config.nodeportAddresses, family),
    clusterCidr: cidrs.find((c) => v6(c) === (family === "ip6")) ?? "",
    masqueradeBit: config.masqueradeBit,
  });
  const out: ProxiedFamily[] = [{ family: "IPv4", ruleset: ruleset("ip") }];
  if (cidrs.some(v6)) out.push({ family: "IPv6", ruleset: ruleset("ip6") });
  return out;
}

/**
 * The --nodeport-addresses CIDRs of one family. When CIDRs were given but none of this family, the
 * family serves NodePorts on no address (as upstream): the unspecified address, which no local
 * address ever is, stands for "none" (an empty list means "every local address").
 */
function nodeportAddressesOf(cidrs: readonly string[], family: NftFamily): string[] {
  const mine = cidrs.filter((c) => c.includes(":") === (family === "ip6"));
  if (cidrs.length === 0 || mine.length > 0) return mine;
  return [family === "ip6" ? "::/128" : "0.0.0.0/32"];
}
