// The address written to Ingress status when --publish-address is unset: the node's first IPv4.
import { networkInterfaces } from "node:os";

/** The first non-internal IPv4 of this host's interfaces, else 127.0.0.1. */
export function nodeAddress(): string {
  for (const addresses of Object.values(networkInterfaces())) {
    const v4 = addresses?.find((a) => a.family === "IPv4" && !a.internal);
    if (v4) return v4.address;
  }
  return "127.0.0.1";
}
