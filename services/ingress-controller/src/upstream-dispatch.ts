// Sends a request to the first endpoint that accepts a connection, trying the next on refusal or connect timeout.
import type { ClientRequest } from "node:http";
import { upstreamKey, type Upstream } from "./backend-endpoints.js";
import { UpstreamConnectTimeoutError, isConnectFailure } from "./errors.js";

/** What `dispatch` reports; each request ends in exactly one `connected`-then-maybe-`failed`, or one `failed`. */
export interface DispatchHooks {
  /** The TCP connection to `upstream` is up (or a pooled one was reused): write the body now. */
  connected(req: ClientRequest, upstream: Upstream): void;
  /** `upstream` refused or did not answer in time; the next endpoint is tried if there is one. */
  connectFailed(upstream: Upstream, err: Error): void;
  /** No endpoint accepted (`connected` false), or the request failed after connecting. */
  failed(err: Error, connected: boolean): void;
}

/**
 * Opens `open(order[i])` for i = 0, 1, … until one connects. The request body must only be
 * written in `connected`: until then nothing was sent, which is what makes a retry safe.
 */
export function dispatch(order: readonly Upstream[], open: (u: Upstream) => ClientRequest, connectTimeoutMs: number, hooks: DispatchHooks): void {
  const attempt = (i: number): void => {
    const upstream = order[i]!;
    const req = open(upstream);
    let connected = false;
    const connect = (): void => {
      connected = true;
      hooks.connected(req, upstream);
    };
    req.once("socket", (socket) => {
      if (!socket.connecting) return connect();
      const timer = setTimeout(() => req.destroy(new UpstreamConnectTimeoutError(upstreamKey(upstream), connectTimeoutMs)), connectTimeoutMs);
      socket.once("connect", () => {
        clearTimeout(timer);
        connect();
      });
      socket.once("close", () => clearTimeout(timer));
    });
    req.on("error", (err) => {
      if (!connected && isConnectFailure(err)) {
        hooks.connectFailed(upstream, err);
        if (i + 1 < order.length) return attempt(i + 1);
      }
      hooks.failed(err, connected);
    });
  };
  attempt(0);
}
