// Resolves a probe's IntOrString port (a number or a container port name), as Kubernetes' ResolveContainerPort.

import type { coreV1Pod } from "@kubeplane/api";

/** A probe's port that names no container port or is out of range. */
export class ProbePortError extends Error {
  override readonly name = "ProbePortError";
  readonly code = "InvalidProbePort";

  constructor(
    readonly port: string,
    message: string,
  ) {
    super(message);
  }
}

/** The port number for port: a decimal number, or the containerPort of the named port. Throws ProbePortError. */
export function resolvePort(port: string, ports: readonly coreV1Pod.ContainerPort[] = []): number {
  let n: number;
  if (/^\d+$/.test(port)) {
    n = Number(port);
  } else {
    const found = ports.find((p) => p.name === port);
    if (!found) throw new ProbePortError(port, `couldn't find port: ${port} in [${ports.map((p) => p.name || p.containerPort).join(" ")}]`);
    n = found.containerPort;
  }
  if (!(n > 0 && n < 65536)) throw new ProbePortError(port, `invalid port number: ${n}`);
  return n;
}

/** host:port, with IPv6 literals bracketed (Go's net.JoinHostPort). */
export function joinHostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}
