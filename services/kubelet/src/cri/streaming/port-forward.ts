// The client side of Kubernetes' port-forward protocol (portforward.k8s.io) over SPDY, against the URL a CRI PortForward returned: one connection a forwarded TCP connection.
import type { Duplex } from "node:stream";
import { connectSpdy, StreamingError } from "@kubeplane/spdy";

export const PORT_FORWARD_PROTOCOL = "portforward.k8s.io";

/** One forwarded connection to a port in the pod's network namespace. */
export interface PortForwardSession {
  /** Bytes to and from the pod's port; `end()` half-closes towards the pod, its end is the pod's close. */
  data: Duplex;
  /** Resolves when the runtime reported nothing wrong; rejects with StreamingError carrying the runtime's message (e.g. nothing listens there). */
  readonly failure: Promise<void>;
  close(): void;
}

/** Opens the error and data streams for `port` (as kubectl: the error stream first, request id 0). */
export async function startPortForward(url: string, port: number, signal?: AbortSignal): Promise<PortForwardSession> {
  const { connection } = await connectSpdy(url, [PORT_FORWARD_PROTOCOL], signal);
  const headers = { port: String(port), requestid: "0" };
  const error = connection.openStream({ streamtype: "error", ...headers });
  error.end();
  const data = connection.openStream({ streamtype: "data", ...headers });
  const failure = (async () => {
    const chunks: Buffer[] = [];
    for await (const c of error) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString("utf8").trim();
    if (text) throw new StreamingError(`error forwarding port ${port}: ${text}`);
  })();
  return { data, failure, close: () => connection.close() };
}
