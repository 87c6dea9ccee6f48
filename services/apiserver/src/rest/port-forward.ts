// pods/portforward over REST: kubectl's port-forward protocol (portforward.k8s.io, SPDY/3.1 streams) tunnelled in WebSocket binary messages or over a plain SPDY upgrade; each forwarded connection is relayed to the same PodPortForward handler as a gRPC call.
import type { IncomingMessage } from "node:http";
import { Duplex } from "node:stream";
import { Metadata, type ServerDuplexStream, type ServiceError } from "@grpc/grpc-js";
import { POD_STREAM_NAME_KEY, POD_STREAM_NAMESPACE_KEY, apiErrorFromGrpc, kubeletV1 } from "@kubeplane/api";
import { SpdyConnection, offeredStreamProtocols, type SpdyStream } from "@kubeplane/spdy";
import { WebSocketServer, createWebSocketStream, type WebSocket } from "ws";
import { setRequestUser, type UserInfo } from "../authn/index.js";
import type { RestDeps, UpgradeRequest } from "./context.js";
import type { RequestInfo } from "./request-info.js";

/** The port-forward protocol over SPDY (X-Stream-Protocol-Version). */
export const PORT_FORWARD_PROTOCOL = "portforward.k8s.io";
/** kubectl 1.30+ (PortForwardWebsockets): the same SPDY connection, carried in WebSocket binary messages. */
export const PORT_FORWARD_TUNNEL_PROTOCOL = `SPDY/3.1+${PORT_FORWARD_PROTOCOL}`;
/** How long the first stream of a pair waits for its partner, as the kubelet's stream creation timeout. */
const PAIR_TIMEOUT_MS = 30_000;

/** Which transport a request asks for: a WebSocket tunnel, a plain SPDY upgrade, or neither this server speaks (undefined). */
export function portForwardTransport(req: IncomingMessage): "websocket" | "spdy" | undefined {
  const upgrade = (req.headers.upgrade ?? "").toLowerCase();
  if (upgrade === "websocket") {
    const offered = (req.headers["sec-websocket-protocol"] ?? "").split(",").map((p) => p.trim());
    return offered.includes(PORT_FORWARD_TUNNEL_PROTOCOL) ? "websocket" : undefined;
  }
  if (upgrade === "spdy/3.1") return offeredStreamProtocols(req.headers["x-stream-protocol-version"]).includes(PORT_FORWARD_PROTOCOL) ? "spdy" : undefined;
  return undefined;
}

/**
 * One forwarded connection as the PodPortForward handler's server call: its readable side yields
 * the start (the port) and then the data stream's bytes, ending with the client's half-close; its
 * writable side writes the pod's bytes to the data stream, completing once the SPDY connection
 * took them (so both directions keep the relay's backpressure).
 */
class ForwardCall extends Duplex {
  readonly metadata = new Metadata();
  cancelled = false;

  constructor(private readonly data: SpdyStream, namespace: string, pod: string, port: number) {
    super({ objectMode: true, highWaterMark: 16 });
    this.metadata.set(POD_STREAM_NAMESPACE_KEY, namespace);
    this.metadata.set(POD_STREAM_NAME_KEY, pod);
    this.push(kubeletV1.PortForwardRequest.fromPartial({ namespace, pod, port }));
    data.on("data", (chunk: Buffer) => {
      if (!this.push(kubeletV1.PortForwardRequest.fromPartial({ data: chunk }))) data.pause();
    });
    data.on("end", () => this.push(null));
  }

  override _read(): void {
    if (this.data.isPaused()) this.data.resume();
  }

  override _write(res: kubeletV1.PortForwardResponse, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    if (!res.data.length || this.data.writableEnded || this.data.destroyed) return done();
    this.data.write(res.data, (err) => done(err ?? null));
  }

  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.emit("cancelled");
    if (!this.readableEnded) this.push(null);
  }

  getPeer(): string {
    return "rest";
  }
}

/** One authorized port-forward upgrade. */
export type PortForwardRequest = UpgradeRequest;

/** What the server closes at shutdown. */
export interface PortForwardSession {
  close(): void;
}

/**
 * `ws` parses Sec-WebSocket-Protocol as RFC 6455 tokens, which "/" is not, and refuses the handshake
 * (400) for `SPDY/3.1+portforward.k8s.io`; gorilla (kubectl) sends it anyway. The request's header
 * is replaced with this token before the handshake, and the answer names the real subprotocol.
 */
const TUNNEL_TOKEN = "portforward.k8s.io.spdy-tunnel";

const wss = new WebSocketServer({
  noServer: true,
  perMessageDeflate: false,
  handleProtocols: (offered) => (offered.has(TUNNEL_TOKEN) ? PORT_FORWARD_TUNNEL_PROTOCOL : false),
});

/**
 * Completes the upgrade (WebSocket tunnel or SPDY) and serves SPDY on it: the client opens an
 * error and a data stream per forwarded connection (headers streamType, port, requestID); once
 * both are there the data stream is relayed to the pod's port. A failure (no such pod, nothing
 * listening, …) is written on the error stream, which kubectl prints; both streams end when the
 * pod's side ends.
 */
export function servePortForward(deps: RestDeps, r: PortForwardRequest, transport: "websocket" | "spdy"): Promise<PortForwardSession> {
  const start = (conn: SpdyConnection): void => {
    const pairs = new Map<string, { error?: SpdyStream; data?: SpdyStream; timer: NodeJS.Timeout }>();
    const calls = new Set<ForwardCall>();
    conn.on("stream", (stream: SpdyStream) => {
      stream.on("error", () => undefined); // a reset or a broken connection: the pair's call is cancelled below
      const type = stream.headers.streamtype;
      // Clients before requestID paired streams by id (the error stream first): the kubelet's fallback.
      const requestId = stream.headers.requestid ?? String(type === "data" ? stream.id - 2 : stream.id);
      if (type !== "error" && type !== "data") return stream.reset();
      let pair = pairs.get(requestId);
      if (!pair) {
        const timer = setTimeout(() => {
          const p = pairs.get(requestId);
          pairs.delete(requestId);
          if (p?.error) p.error.end(`timed out waiting for the streams of request ${requestId}`);
          p?.data?.reset();
        }, PAIR_TIMEOUT_MS);
        timer.unref();
        pair = { timer };
        pairs.set(requestId, pair);
      }
      if (pair[type]) return stream.reset(); // a second stream of the same type: the kubelet refuses it too
      pair[type] = stream;
      if (!pair.error || !pair.data) return;
      clearTimeout(pair.timer);
      pairs.delete(requestId);
      forward(pair.error, pair.data, calls);
    });
    conn.on("close", () => {
      for (const p of pairs.values()) clearTimeout(p.timer);
      for (const call of calls) call.cancel();
      r.onClose();
    });
  };

  const forward = (error: SpdyStream, data: SpdyStream, calls: Set<ForwardCall>): void => {
    error.resume(); // the client writes nothing on it but its FIN
    const portText = data.headers.port ?? "";
    const port = Number(portText);
    if (!/^\d+$/.test(portText) || port < 1 || port > 65535) {
      error.end(`invalid port header "${portText}": must be 1-65535`);
      data.end();
      return;
    }
    const call = new ForwardCall(data, r.info.namespace, r.info.name, port);
    setRequestUser(call, r.user);
    calls.add(call);
    let ended = false;
    const endWith = (message?: string): void => {
      if (ended) return;
      ended = true;
      calls.delete(call);
      if (message) error.write(message);
      error.end();
      if (!data.writableEnded) data.end();
    };
    call.on("finish", () => endWith());
    call.on("error", (err: ServiceError) => endWith(apiErrorFromGrpc(err).message));
    // kubectl resets the data stream once it read the pod's end; a reset before that abandons the connection.
    data.on("reset", () => {
      if (ended) return;
      ended = true;
      calls.delete(call);
      call.cancel();
      error.end();
    });
    deps.handlers.podPortForward.call(deps.handlers, call as unknown as ServerDuplexStream<kubeletV1.PortForwardRequest, kubeletV1.PortForwardResponse>);
  };

  if (transport === "spdy") {
    r.socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: ${PORT_FORWARD_PROTOCOL}\r\n\r\n`);
    const conn = new SpdyConnection(r.socket, { role: "server", head: r.head });
    start(conn);
    return Promise.resolve({ close: () => conn.goAway() });
  }
  r.req.headers["sec-websocket-protocol"] = TUNNEL_TOKEN; // portForwardTransport checked the real one was offered
  return new Promise((resolve) => {
    wss.handleUpgrade(r.req, r.socket, r.head, (ws: WebSocket) => {
      ws.on("error", (err) => deps.logger.debug({ err, pod: r.info.name }, "port-forward WebSocket failed"));
      start(new SpdyConnection(createWebSocketStream(ws), { role: "server" }));
      resolve({ close: () => ws.close(1001, "apiserver shutting down") });
    });
  });
}
