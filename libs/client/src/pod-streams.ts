// Interactive pod subresources over the apiserver's bidirectional streams: exec and attach sessions (stdin, stdout, stderr, terminal size, exit code) and port-forward connections.
import { Duplex } from "node:stream";
import { Metadata, type ClientDuplexStream, type ServiceError } from "@grpc/grpc-js";
import { apiErrorFromGrpc, POD_STREAM_NAME_KEY, POD_STREAM_NAMESPACE_KEY, type kubeletV1 } from "@kubeplane/api";

/** What an exec or attach relays. With `tty`, stderr is merged into stdout (a terminal has one output). */
export interface PodStreamOptions {
  /** Required when the pod has more than one container. */
  container?: string;
  /** Exec only. */
  command?: string[];
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
  /** The first terminal size (tty only). */
  size?: { width: number; height: number };
}

/** Where a session's output goes, in the order the container wrote it. */
export interface PodStreamOutput {
  stdout?(data: Buffer): void;
  stderr?(data: Buffer): void;
}

/**
 * A running exec or attach. `write` and `endStdin` send stdin (end is the command's EOF); `resize`
 * sends a terminal size. `done` resolves with the command's exit code once all output was handed
 * to the PodStreamOutput, and rejects with an ApiError (Forbidden, NotFound, BadRequest, …).
 */
export interface PodStreamSession {
  write(data: Uint8Array): boolean;
  endStdin(): void;
  resize(width: number, height: number): void;
  readonly done: Promise<number>;
  /** Ends the session at once (the apiserver and kubelet close the runtime's connection). */
  cancel(): void;
}

/** The call metadata that names the pod (authorization reads it before any message). */
export function podStreamMetadata(namespace: string, name: string): Metadata {
  const md = new Metadata();
  md.set(POD_STREAM_NAMESPACE_KEY, namespace);
  md.set(POD_STREAM_NAME_KEY, name);
  return md;
}

/** Starts the session on an opened ExecStream/Attach call: sends the start message and relays the replies. */
export function remoteCommandSession(
  call: ClientDuplexStream<kubeletV1.RemoteCommandRequest, kubeletV1.RemoteCommandResponse>,
  namespace: string,
  name: string,
  opts: PodStreamOptions,
  output: PodStreamOutput,
): PodStreamSession {
  const empty = Buffer.alloc(0);
  const start: kubeletV1.RemoteCommandStart = {
    namespace,
    pod: name,
    container: opts.container ?? "",
    command: opts.command ?? [],
    stdin: opts.stdin,
    stdout: opts.stdout,
    stderr: opts.stderr,
    tty: opts.tty,
  };
  call.write({ start, stdin: empty, ...(opts.tty && opts.size ? { resize: opts.size } : {}) });
  let exitCode: number | undefined;
  const done = new Promise<number>((resolve, reject) => {
    call.on("data", (res: kubeletV1.RemoteCommandResponse) => {
      if (res.stdout.length) output.stdout?.(Buffer.from(res.stdout));
      if (res.stderr.length) output.stderr?.(Buffer.from(res.stderr));
      if (res.exitCode !== undefined) exitCode = res.exitCode;
    });
    call.on("end", () => {
      if (exitCode === undefined) reject(new Error("the exec stream ended without an exit code"));
      else resolve(exitCode);
    });
    call.on("error", (err: ServiceError) => reject(apiErrorFromGrpc(err)));
  });
  done.catch(() => undefined);
  return {
    write: (data) => call.write({ stdin: Buffer.from(data) }),
    endStdin: () => call.end(),
    resize: (width, height) => {
      if (opts.tty && !call.writableEnded) call.write({ stdin: empty, resize: { width, height } });
    },
    done,
    cancel: () => call.cancel(),
  };
}

/**
 * One forwarded connection as a byte Duplex over an opened PodPortForward call: writes go to the
 * pod's port, `end()` half-closes towards it, the pod's close ends the readable side; a failure
 * (Forbidden, nothing listening, …) destroys it with the ApiError.
 */
export function portForwardStream(
  call: ClientDuplexStream<kubeletV1.PortForwardRequest, kubeletV1.PortForwardResponse>,
  namespace: string,
  name: string,
  port: number,
): Duplex {
  call.write({ namespace, pod: name, port, data: Buffer.alloc(0) });
  const duplex: Duplex = new Duplex({
    allowHalfOpen: true,
    read() {
      call.resume();
    },
    write(chunk: Buffer, _enc, callback) {
      if (call.write({ namespace: "", pod: "", port: 0, data: chunk })) callback();
      else call.once("drain", () => callback());
    },
    final(callback) {
      call.end();
      callback();
    },
    destroy(err, callback) {
      call.cancel();
      callback(err);
    },
  });
  call.on("data", (res: kubeletV1.PortForwardResponse) => {
    if (!duplex.push(Buffer.from(res.data))) call.pause();
  });
  call.on("end", () => duplex.push(null));
  call.on("error", (err: ServiceError) => {
    if (!duplex.destroyed) duplex.destroy(apiErrorFromGrpc(err));
  });
  return duplex;
}
