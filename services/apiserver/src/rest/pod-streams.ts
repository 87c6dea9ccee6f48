// pods/exec and pods/attach over REST: kubectl's WebSocket channel protocol (v5/v4.channel.k8s.io) relayed to the same PodExecStream/PodAttach handlers as gRPC calls.
import type { IncomingMessage } from "node:http";
import { Duplex } from "node:stream";
import { Metadata, type ServerDuplexStream, type ServiceError } from "@grpc/grpc-js";
import { POD_STREAM_NAME_KEY, POD_STREAM_NAMESPACE_KEY, apiErrorFromGrpc, apiErrors, kubeletV1 } from "@kubeplane/api";
import { WebSocketServer, type RawData, type WebSocket } from "ws";
import { setRequestUser, type UserInfo } from "../authn/index.js";
import type { RestDeps, UpgradeRequest } from "./context.js";
import { statusJson } from "./http-io.js";
import type { RequestInfo } from "./request-info.js";

/** kubectl 1.30+ asks for v5 (channel 255 half-closes a stream); v4 has no stdin close. Chosen in the client's order of preference. */
export const CHANNEL_PROTOCOLS = ["v5.channel.k8s.io", "v4.channel.k8s.io"] as const;

const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const ERROR = 3;
const RESIZE = 4;
const CLOSE = 255;

/** The first offered subprotocol this server speaks, or undefined. */
export function negotiateChannelProtocol(offered: string | undefined): string | undefined {
  const protocols = (offered ?? "").split(",").map((p) => p.trim());
  return protocols.find((p) => (CHANNEL_PROTOCOLS as readonly string[]).includes(p));
}

/** The exec/attach options of the URL's query, as Kubernetes' PodExecOptions (command repeated; stdout defaults on for exec). */
export function remoteCommandStart(info: RequestInfo, query: URLSearchParams): kubeletV1.RemoteCommandStart {
  const flag = (key: string, dflt: boolean): boolean => {
    const v = query.get(key);
    if (v === null || v === "") return dflt;
    if (v === "true" || v === "1") return true;
    if (v === "false" || v === "0") return false;
    throw apiErrors.badRequest(`${key}: Invalid value: "${v}": must be true or false`);
  };
  const command = query.getAll("command");
  if (info.subresource === "exec" && command.length === 0) throw apiErrors.invalid({ resource: "pods", kind: "PodExecOptions", name: info.name }, [{ type: "FieldValueRequired", field: "command", detail: "you must specify at least 1 command" }]);
  const start = { namespace: info.namespace, pod: info.name, container: query.get("container") ?? "", command, stdin: flag("stdin", false), stdout: flag("stdout", true), stderr: flag("stderr", true), tty: flag("tty", false) };
  if (!start.stdin && !start.stdout && !start.stderr) throw apiErrors.badRequest("you must specify at least one of stdin, stdout, stderr");
  return start;
}

/** The Status kubectl reads from the error channel at the end: Success, or NonZeroExitCode with the ExitCode cause. */
function exitStatus(command: readonly string[], exitCode: number | undefined): Record<string, unknown> {
  if (!exitCode) return { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success" };
  return {
    kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", reason: "NonZeroExitCode",
    message: `command terminated with non-zero exit code: error executing command [${command.join(" ")}], exit code ${exitCode}`,
    details: { causes: [{ reason: "ExitCode", message: String(exitCode) }] },
  };
}

const frame = (channel: number, data: Uint8Array): Buffer => Buffer.concat([Buffer.of(channel), data]);

/**
 * The WebSocket as the gRPC handler's server call: its readable side yields RemoteCommandRequests
 * (the start, then stdin and resizes read off channels 0 and 4, ending at v5's close of channel 0),
 * its writable side frames each response's stdout and stderr on channels 1 and 2. The socket is
 * paused while the readable side is full and a write completes when the socket took the frame, so
 * both directions keep the relay's backpressure.
 */
class ChannelCall extends Duplex {
  readonly metadata = new Metadata();
  cancelled = false;
  exitCode: number | undefined;

  constructor(private readonly ws: WebSocket, start: kubeletV1.RemoteCommandStart) {
    super({ objectMode: true, highWaterMark: 16 });
    this.metadata.set(POD_STREAM_NAMESPACE_KEY, start.namespace);
    this.metadata.set(POD_STREAM_NAME_KEY, start.pod);
    this.push(kubeletV1.RemoteCommandRequest.fromPartial({ start }));
    ws.on("message", (data: RawData, isBinary: boolean) => {
      if (!isBinary) return; // the channel protocols are binary; base64 text variants are not offered
      const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      if (buf.length === 0 || this.readableEnded) return;
      const payload = buf.subarray(1);
      let req: kubeletV1.RemoteCommandRequest | undefined;
      if (buf[0] === STDIN && payload.length > 0) req = kubeletV1.RemoteCommandRequest.fromPartial({ stdin: payload });
      else if (buf[0] === RESIZE) req = resizeOf(payload);
      else if (buf[0] === CLOSE && payload[0] === STDIN) this.push(null);
      if (req && !this.push(req)) ws.pause();
    });
  }

  override _read(): void {
    if (this.ws.isPaused) this.ws.resume();
  }

  override _write(res: kubeletV1.RemoteCommandResponse, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    if (res.exitCode !== undefined) this.exitCode = res.exitCode;
    const frames = [res.stdout?.length ? frame(STDOUT, res.stdout) : undefined, res.stderr?.length ? frame(STDERR, res.stderr) : undefined].filter((f): f is Buffer => f !== undefined);
    if (frames.length === 0 || this.ws.readyState !== this.ws.OPEN) {
      done();
      return;
    }
    frames.forEach((f, i) => this.ws.send(f, { binary: true }, i === frames.length - 1 ? (err) => done(err ?? null) : undefined));
  }

  getPeer(): string {
    return "rest";
  }
}

/** A resize message ({"Width":…,"Height":…}); malformed ones are dropped, as the kubelet does. */
function resizeOf(payload: Buffer): kubeletV1.RemoteCommandRequest | undefined {
  try {
    const size = JSON.parse(payload.toString("utf8")) as { Width?: unknown; Height?: unknown };
    const width = Number(size.Width);
    const height = Number(size.Height);
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 0 || height < 0) return undefined;
    return kubeletV1.RemoteCommandRequest.fromPartial({ resize: { width, height } });
  } catch {
    return undefined;
  }
}

/** One authorized exec or attach upgrade. */
export type PodStreamRequest = UpgradeRequest;

const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, handleProtocols: (offered) => negotiateChannelProtocol([...offered].join(",")) ?? false });

/**
 * Completes the WebSocket handshake and relays the streams to the exec or attach handler until
 * either side ends; the last message on channel 3 is the Status kubectl turns into its exit code
 * (a failure to reach the pod's kubelet is a Failure Status there too). Returns the open socket,
 * so the server can close it at shutdown.
 */
export function servePodStream(deps: RestDeps, r: PodStreamRequest, start: kubeletV1.RemoteCommandStart): Promise<WebSocket> {
  return new Promise((resolve) => {
    wss.handleUpgrade(r.req, r.socket, r.head, (ws) => {
      const call = new ChannelCall(ws, start);
      setRequestUser(call, r.user);
      let ended = false;
      const endWith = (status: Record<string, unknown>): void => {
        if (ended) return;
        ended = true;
        if (ws.readyState !== ws.OPEN) return;
        ws.send(frame(ERROR, Buffer.from(JSON.stringify(status))), { binary: true }, () => ws.close(1000));
      };
      call.on("finish", () => endWith(exitStatus(start.command, call.exitCode)));
      call.on("error", (err: ServiceError) => endWith(statusJson(apiErrorFromGrpc(err))));
      ws.on("close", () => {
        if (!ended && !call.cancelled) {
          call.cancelled = true;
          call.emit("cancelled");
        }
        if (!call.readableEnded) call.push(null);
        r.onClose();
      });
      ws.on("error", (err) => deps.logger.debug({ err, pod: start.pod }, "exec WebSocket failed"));
      const handler = r.info.subresource === "exec" ? deps.handlers.podExecStream : deps.handlers.podAttach;
      handler.call(deps.handlers, call as unknown as ServerDuplexStream<kubeletV1.RemoteCommandRequest, kubeletV1.RemoteCommandResponse>);
      resolve(ws);
    });
  });
}
