// Writes the node's CNI network config (bridge + host-local IPAM on the podCIDR, portmap) for the runtime's CRI to load.
import { mkdir, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { firstHost, parseIpv4Cidr, parseIpv6Cidr } from "./pod-cidr.js";

/** Options of `writeCniConfig`. */
export interface CniConfigOptions {
  /** The node's podCIDR (IPv4), e.g. "10.88.1.0/24": pods get addresses from it. */
  podCidr: string;
  /**
   * The node's IPv6 podCIDR on a dual-stack cluster (spec.podCIDRs[1]), e.g. "fd00:10:244:1::/64":
   * each pod gets an address from both ranges (the IPv4 one is its primary podIP). The bridge
   * is the gateway of both families (host-local's default: the range's first address).
   */
  ipv6PodCidr?: string | undefined;
  /** The Linux bridge the pods' veths attach to (at most 15 characters). Default "kp0". */
  bridge?: string;
  /** The bridge's address and the pods' default route. Default: the podCIDR's first host. */
  gateway?: string;
  /** host-local's allocation records: keep under the kubelet's own state dir, never /var/lib/cni. */
  ipamDataDir: string;
  /** The pods' interface MTU. Default: the bridge plugin's (the host's default route MTU). */
  mtu?: number;
  /** Masquerade traffic leaving the podCIDR. Default false: kube-proxy and the node's routes decide. */
  ipMasq?: boolean;
  /** The CNI network name. Default "kubeplane". */
  networkName?: string;
}

/** The conflist's file name; the "10-" prefix makes it the first (and only) network containerd loads. */
export const CNI_CONFIG_FILE = "10-kubeplane.conflist";
const CNI_VERSION = "1.0.0";
const MAX_BRIDGE_NAME = 15;

/** The conflist as an object (CNI spec 1.0.0). Throws PodCidrError for an unusable podCIDR. */
export function renderCniConfig(opts: CniConfigOptions): Record<string, unknown> {
  parseIpv4Cidr(opts.podCidr);
  if (opts.ipv6PodCidr) parseIpv6Cidr(opts.ipv6PodCidr);
  const bridge = opts.bridge ?? "kp0";
  if (bridge.length === 0 || bridge.length > MAX_BRIDGE_NAME) throw new RangeError(`bridge name ${JSON.stringify(bridge)} must be 1-15 characters`);
  return {
    cniVersion: CNI_VERSION,
    name: opts.networkName ?? "kubeplane",
    plugins: [
      {
        type: "bridge",
        bridge,
        isGateway: true,
        ipMasq: opts.ipMasq ?? false,
        // A pod reaching itself through a Service IP comes back over its own veth.
        hairpinMode: true,
        ...(opts.mtu === undefined ? {} : { mtu: opts.mtu }),
        ipam: {
          type: "host-local",
          ranges: [[{ subnet: opts.podCidr, gateway: opts.gateway ?? firstHost(opts.podCidr) }], ...(opts.ipv6PodCidr ? [[{ subnet: opts.ipv6PodCidr }]] : [])],
          routes: [{ dst: "0.0.0.0/0" }, ...(opts.ipv6PodCidr ? [{ dst: "::/0" }] : [])],
          dataDir: opts.ipamDataDir,
        },
      },
      { type: "portmap", capabilities: { portMappings: true } },
    ],
  };
}

/**
 * Writes `<dir>/10-kubeplane.conflist` and resolves with its path. The file is written beside and
 * renamed into place, so a runtime watching `dir` never loads half a file; rewriting with the
 * same options is a no-op for the runtime. Creates `dir` and the IPAM data dir if missing.
 */
export async function writeCniConfig(dir: string, opts: CniConfigOptions): Promise<string> {
  const text = `${JSON.stringify(renderCniConfig(opts), null, 2)}\n`;
  await mkdir(dir, { recursive: true });
  await mkdir(opts.ipamDataDir, { recursive: true });
  const path = join(dir, CNI_CONFIG_FILE);
  // A name without the .conflist suffix, so the runtime ignores the file until the rename.
  const temp = join(dir, `.${CNI_CONFIG_FILE}.tmp`);
  await writeFile(temp, text);
  await rename(temp, path);
  return path;
}
