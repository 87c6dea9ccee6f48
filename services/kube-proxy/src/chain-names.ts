// Names of the per-service nftables objects, spelled as upstream kube-proxy's nftables mode spells them.
import { createHash } from "node:crypto";
import type { ProxyEndpoint } from "./endpoints.js";
import type { ServicePortInfo } from "./service-port.js";

const base32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

// Every sync names every object again; remembering the hashes keeps a 10k-endpoint sync cheap.
const hashCache = new Map<string, string>();
const hashCacheLimit = 500_000;

/** The first 8 base32 characters of sha256(text): keeps names unique when the readable part is cut. */
export function shortHash(text: string): string {
  let hash = hashCache.get(text);
  if (hash === undefined) {
    if (hashCache.size >= hashCacheLimit) hashCache.clear();
    hash = computeHash(text);
    hashCache.set(text, hash);
  }
  return hash;
}

function computeHash(text: string): string {
  const digest = createHash("sha256").update(text).digest();
  let bits = 0;
  let value = 0;
  let out = "";
  for (const byte of digest) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5 && out.length < 8) {
      out += base32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    if (out.length === 8) break;
  }
  return out;
}

// nft limits object names to 255 bytes; the hash keeps truncated names distinct.
const named = (prefix: string, base: string): string => `${prefix}-${shortHash(base)}-${base}`.slice(0, 255);
// nft names take no ':' (upstream spells an IPv6 endpoint with dots too).
const endpointBase = (sp: ServicePortInfo, ep: ProxyEndpoint): string => `${sp.id}__${ep.ip.replace(/:/g, ".")}/${ep.port}`;

/** `service-<hash>-<ns>/<name>/<proto>/<port>`: load-balances to the endpoint chains. */
export const serviceChain = (sp: ServicePortInfo): string => named("service", sp.id);
/** `external-<hash>-…`: NodePort and external/LoadBalancer IP traffic: masquerade, then the service chain. */
export const externalChain = (sp: ServicePortInfo): string => named("external", sp.id);
/** `local-<hash>-…`: load-balances to this node's endpoints only (traffic policy Local). */
export const localChain = (sp: ServicePortInfo): string => named("local", sp.id);
/** `cluster-<hash>-…`: load-balances to every endpoint, when the service chain is local-only (internalTrafficPolicy Local). */
export const clusterChain = (sp: ServicePortInfo): string => named("cluster", sp.id);
/** `endpoint-<hash>-…__<ip>/<port>`: DNAT to one endpoint. */
export const endpointChain = (sp: ServicePortInfo, ep: ProxyEndpoint): string => named("endpoint", endpointBase(sp, ep));
/** `affinity-<hash>-…__<ip>/<port>`: client IPs recently sent to that endpoint (ClientIP affinity). */
export const affinitySet = (sp: ServicePortInfo, ep: ProxyEndpoint): string => named("affinity", endpointBase(sp, ep));
