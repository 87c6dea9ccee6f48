// Turns the apiserver address(es) a component is configured with into one gRPC target that fails over between them.
import { isIP } from "node:net";

/** Thrown when a list of apiserver addresses cannot be one gRPC target (mixed families, DNS names in a list, no port). */
export class ApiserverTargetError extends Error {
  readonly code = "EAPISERVERTARGET";
  constructor(message: string) {
    super(message);
    this.name = "ApiserverTargetError";
  }
}

/**
 * `host:port` stays as it is (a DNS name resolving to several apiservers already fails over).
 * A comma-separated list of IP addresses (`10.0.0.1:6443,10.0.0.2:6443`, IPv6 as `[::1]:6443`)
 * becomes grpc-js's `ipv4:`/`ipv6:` target: one channel with every address, pick_first, so calls
 * go to one apiserver and move to the next when it stops answering. TLS verifies every server
 * against the first address, so the apiservers share one serving certificate naming them all
 * (as the cluster PKI issues it). Pure; throws ApiserverTargetError for a list it cannot express.
 */
export function apiserverTarget(server: string): string {
  const parts = server.split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (parts.length === 0) throw new ApiserverTargetError("no apiserver address given");
  if (parts.length === 1) return parts[0] as string;
  const families = new Set<number>();
  for (const part of parts) {
    const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(part);
    const host = m?.[1] ?? m?.[2];
    const family = host === undefined ? 0 : isIP(host);
    if (family === 0) {
      throw new ApiserverTargetError(
        `apiserver address ${JSON.stringify(part)} in a list must be IP:PORT ([IPv6]:PORT); for DNS names give one name that resolves to every apiserver`,
      );
    }
    families.add(family);
  }
  if (families.size > 1) throw new ApiserverTargetError(`apiserver addresses ${JSON.stringify(server)} mix IPv4 and IPv6`);
  return `${families.has(6) ? "ipv6" : "ipv4"}:${parts.join(",")}`;
}
