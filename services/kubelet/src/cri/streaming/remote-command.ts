// The client side of Kubernetes' remote command protocol v4 (exec and attach) over SPDY, against the URL a CRI Exec or Attach returned.
import { finished } from "node:stream/promises";
import type { Readable, Writable } from "node:stream";
import { connectSpdy, StreamingError } from "@kubeplane/spdy";

/** The protocol version offered: v4 reports the exit code in a Status on the error stream and resizes over JSON. */
export const REMOTE_COMMAND_PROTOCOL_V4 = "v4.channel.k8s.io";

/** Which streams the CRI request asked for (they must match it: the server waits for exactly these). */
export interface RemoteCommandStreams {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

/** A running remote command: its streams, a resize call (tty only), and its end. */
export interface RemoteCommandSession {
  stdin?: Writable;
  stdout?: Readable;
  stderr?: Readable;
  /** Sends a terminal size (no-op without tty). */
  resize(width: number, height: number): void;
  /**
   * Resolves with the command's exit code once it ended and its output was read; rejects with
   * StreamingError when the runtime reported another failure (its message).
   */
  readonly done: Promise<number>;
  /** Ends the connection (the runtime then ends the command's streams). */
  close(): void;
}

/** metav1.Status as the v4 error stream carries it. */
interface WireStatus {
  status?: string;
  message?: string;
  reason?: string;
  details?: { causes?: Array<{ reason?: string; message?: string }> };
}

/** The exit code in a v4 Status: 0 for Success, the ExitCode cause for NonZeroExitCode; else throws the message. */
export function exitCodeOf(text: string): number {
  if (!text.trim()) return 0;
  let status: WireStatus;
  try {
    status = JSON.parse(text) as WireStatus;
  } catch {
    throw new StreamingError(`error executing remote command: ${text.trim()}`);
  }
  if (status.status === "Success") return 0;
  if (status.reason === "NonZeroExitCode") {
    const cause = status.details?.causes?.find((c) => c.reason === "ExitCode");
    const code = Number(cause?.message);
    if (Number.isInteger(code)) return code;
  }
  throw new StreamingError(status.message ?? `error executing remote command: ${text.trim()}`);
}

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * Connects to `url` and opens the streams in the protocol's order (error, stdin, stdout, stderr,
 * resize). The caller reads stdout/stderr and writes stdin; `stdin.end()` is EOF for the command.
 */
export async function startRemoteCommand(url: string, streams: RemoteCommandStreams, signal?: AbortSignal): Promise<RemoteCommandSession> {
  const { connection } = await connectSpdy(url, [REMOTE_COMMAND_PROTOCOL_V4], signal);
  const error = connection.openStream({ streamtype: "error" });
  error.end(); // the client never writes on it
  const stdin = streams.stdin ? connection.openStream({ streamtype: "stdin" }) : undefined;
  const stdout = streams.stdout ? connection.openStream({ streamtype: "stdout" }) : undefined;
  const stderr = streams.stderr && !streams.tty ? connection.openStream({ streamtype: "stderr" }) : undefined;
  const resize = streams.tty ? connection.openStream({ streamtype: "resize" }) : undefined;
  for (const s of [stdin, resize]) s?.on("error", () => undefined); // a write after the end is not the command's failure
  const outputs = [stdout, stderr].filter((s): s is NonNullable<typeof s> => s !== undefined);
  const done = (async () => {
    const statusText = await readAll(error);
    // The output streams end with the connection, after the status: read them to their end first.
    await Promise.all(outputs.map((s) => finished(s, { writable: false }).catch(() => undefined)));
    return exitCodeOf(statusText);
  })();
  done.catch(() => undefined).finally(() => connection.close());
  return {
    ...(stdin ? { stdin } : {}),
    ...(stdout ? { stdout } : {}),
    ...(stderr ? { stderr } : {}),
    resize(width, height) {
      if (resize && !resize.writableEnded) resize.write(JSON.stringify({ Width: width, Height: height }));
    },
    done,
    close: () => connection.close(),
  };
}
