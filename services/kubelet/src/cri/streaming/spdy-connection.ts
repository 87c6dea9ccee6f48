// A minimal SPDY/3.1 client over an HTTP upgrade, as containerd's CRI streaming server (moby/spdystream) speaks it for exec, attach and port-forward.
//
// Only what the Kubernetes streaming protocols use: client-opened streams (SYN_STREAM with
// headers), DATA with FIN for half-close, SYN_REPLY, RST_STREAM, PING and GOAWAY. spdystream does
// no flow control (it ignores WINDOW_UPDATE), so neither do we. Header blocks are zlib-compressed
// with the protocol's dictionary over one compression context per connection, as SPDY requires;
// the server's header blocks (SYN_REPLY) are never read, so they are not decompressed.
import { once } from "node:events";
import { request as httpRequest, type ClientRequest, type IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import { Duplex } from "node:stream";
import { constants as zlibConstants, createDeflate, type Deflate } from "node:zlib";
import { SPDY3_HEADER_DICTIONARY } from "./spdy-dictionary.js";

const VERSION = 3;
const TYPE_SYN_STREAM = 1;
const TYPE_SYN_REPLY = 2;
const TYPE_RST_STREAM = 3;
const TYPE_PING = 6;
const TYPE_GOAWAY = 7;
const FLAG_FIN = 0x01;
const RST_CANCEL = 5;
const MAX_DATA = 0xffff;

/** A streaming server refused the upgrade or broke the protocol; `status` is the HTTP status when it answered one. */
export class StreamingError extends Error {
  readonly code = "STREAMING_ERROR";
  constructor(message: string, readonly status?: number, options?: ErrorOptions) {
    super(message, options);
    this.name = "StreamingError";
  }
}

/**
 * One SPDY stream: writes become DATA frames, `end()` sends FIN (the server's reader sees EOF),
 * the server's DATA is read, its FIN (or the connection's end) ends the readable side.
 */
export class SpdyStream extends Duplex {
  constructor(readonly id: number, private readonly conn: SpdyConnection) {
    super({ allowHalfOpen: true });
  }
  override _read(): void {
    this.conn.resumeSocket();
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, callback: (err?: Error | null) => void): void {
    this.conn.sendData(this.id, chunk, false).then(() => callback(), callback);
  }
  override _final(callback: (err?: Error | null) => void): void {
    this.conn.sendData(this.id, Buffer.alloc(0), true).then(() => callback(), callback);
  }
}

/**
 * A SPDY/3.1 client connection. Streams are opened with `openStream` in the order the protocol
 * needs; frames leave in the order they were asked for (one serial queue). Not reusable after
 * `close()`; the socket's end ends every stream's readable side.
 */
export class SpdyConnection {
  readonly #socket: Socket;
  readonly #deflate: Deflate = createDeflate({ dictionary: SPDY3_HEADER_DICTIONARY });
  readonly #streams = new Map<number, SpdyStream>();
  #nextId = 1;
  #queue: Promise<void> = Promise.resolve();
  #buffered: Buffer = Buffer.alloc(0);
  #closed = false;

  private constructor(socket: Socket, head: Buffer) {
    this.#socket = socket;
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.#onData(chunk));
    socket.on("close", () => this.#onClose());
    socket.on("error", (err) => this.#onClose(err));
    if (head.length) this.#onData(head);
  }

  /**
   * Upgrades `url` (http only: containerd's streaming server listens on loopback without TLS by
   * default) to SPDY/3.1 offering `protocols` (X-Stream-Protocol-Version); resolves with the
   * connection and the protocol the server chose. Rejects with StreamingError on a refusal.
   */
  static async connect(url: string, protocols: readonly string[], signal?: AbortSignal): Promise<{ connection: SpdyConnection; protocol: string }> {
    const target = new URL(url);
    if (target.protocol !== "http:") throw new StreamingError(`streaming URL ${url}: only http is supported`);
    const req: ClientRequest = httpRequest(target, {
      method: "POST",
      signal,
      headers: { Connection: "Upgrade", Upgrade: "SPDY/3.1", "X-Stream-Protocol-Version": [...protocols], "Content-Length": "0" },
    });
    req.end();
    const refused = once(req, "response").then(async (args) => {
      const res = args[0] as IncomingMessage;
      const chunks: Buffer[] = [];
      for await (const c of res) chunks.push(c as Buffer);
      throw new StreamingError(`the streaming server refused the upgrade (HTTP ${res.statusCode}): ${Buffer.concat(chunks).toString("utf8").trim()}`, res.statusCode);
    });
    const [res, socket, head] = (await Promise.race([once(req, "upgrade"), refused])) as [IncomingMessage, Socket, Buffer];
    refused.catch(() => undefined);
    const chosen = String(res.headers["x-stream-protocol-version"] ?? "");
    if (!protocols.includes(chosen)) {
      socket.destroy();
      throw new StreamingError(`the streaming server chose protocol "${chosen}", none of ${protocols.join(", ")}`);
    }
    return { connection: new SpdyConnection(socket, head), protocol: chosen };
  }

  /** Opens a stream with these headers (names lower-cased, as SPDY requires). */
  openStream(headers: Record<string, string>): SpdyStream {
    const id = this.#nextId;
    this.#nextId += 2;
    const stream = new SpdyStream(id, this);
    this.#streams.set(id, stream);
    this.#enqueue(async () => {
      const block = await this.#compress(encodeHeaders(headers));
      const body = Buffer.alloc(10);
      body.writeUInt32BE(id, 0);
      body.writeUInt32BE(0, 4); // associated stream
      body.writeUInt16BE(0, 8); // priority, slot
      return controlFrame(TYPE_SYN_STREAM, 0, Buffer.concat([body, block]));
    }).catch(() => undefined); // only when the connection is gone, which ends the stream anyway
    return stream;
  }

  /** Sends DATA on a stream (split into frames), with FIN when `fin`. */
  sendData(id: number, data: Buffer, fin: boolean): Promise<void> {
    return this.#enqueue(() => {
      const frames: Buffer[] = [];
      for (let off = 0; off < data.length || (fin && frames.length === 0); off += MAX_DATA) {
        const part = data.subarray(off, off + MAX_DATA);
        const last = off + MAX_DATA >= data.length;
        const header = Buffer.alloc(8);
        header.writeUInt32BE(id & 0x7fffffff, 0);
        header.writeUInt32BE(((fin && last ? FLAG_FIN : 0) << 24) | part.length, 4);
        frames.push(header, part);
        if (data.length === 0) break;
      }
      return Promise.resolve(Buffer.concat(frames));
    });
  }

  resumeSocket(): void {
    if (this.#socket.isPaused()) this.#socket.resume();
  }

  /** Ends the connection at once: every stream's readable side ends. */
  close(): void {
    this.#socket.destroy();
    this.#onClose();
  }

  #enqueue(build: () => Promise<Buffer>): Promise<void> {
    const next = this.#queue.then(async () => {
      if (this.#closed) throw new StreamingError("the streaming connection is closed");
      const frame = await build();
      if (!this.#socket.write(frame)) await once(this.#socket, "drain");
    });
    this.#queue = next.catch(() => undefined);
    return next;
  }

  #compress(block: Buffer): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const out: Buffer[] = [];
      const onData = (c: Buffer): void => void out.push(c);
      this.#deflate.on("data", onData);
      this.#deflate.write(block, (err) => err && reject(err));
      this.#deflate.flush(zlibConstants.Z_SYNC_FLUSH, () => {
        this.#deflate.off("data", onData);
        resolve(Buffer.concat(out));
      });
    });
  }

  #onData(chunk: Buffer): void {
    this.#buffered = this.#buffered.length ? Buffer.concat([this.#buffered, chunk]) : chunk;
    while (this.#buffered.length >= 8) {
      const length = this.#buffered.readUInt32BE(4) & 0xffffff;
      if (this.#buffered.length < 8 + length) break;
      const flags = this.#buffered[4]!;
      const payload = this.#buffered.subarray(8, 8 + length);
      const control = (this.#buffered[0]! & 0x80) !== 0;
      if (control) this.#onControl(this.#buffered.readUInt16BE(2), payload);
      else this.#onStreamData(this.#buffered.readUInt32BE(0) & 0x7fffffff, flags, payload);
      this.#buffered = this.#buffered.subarray(8 + length);
    }
  }

  #onStreamData(id: number, flags: number, payload: Buffer): void {
    const stream = this.#streams.get(id);
    if (!stream) return;
    if (payload.length && !stream.push(Buffer.from(payload))) this.#socket.pause();
    if (flags & FLAG_FIN) stream.push(null);
  }

  #onControl(type: number, payload: Buffer): void {
    switch (type) {
      case TYPE_SYN_REPLY:
        this.#streams.get(payload.readUInt32BE(0) & 0x7fffffff)?.emit("reply");
        break;
      case TYPE_RST_STREAM: {
        // spdystream resets every stream when the server closes its side (CANCEL): for a reader that is the stream's end.
        const stream = this.#streams.get(payload.readUInt32BE(0) & 0x7fffffff);
        const status = payload.readUInt32BE(4);
        if (stream && status === RST_CANCEL) {
          if (!stream.readableEnded) stream.push(null);
        } else stream?.destroy(new StreamingError(`the streaming server reset stream ${stream.id} (status ${status})`));
        break;
      }
      case TYPE_PING:
        void this.#enqueue(() => Promise.resolve(controlFrame(TYPE_PING, 0, Buffer.from(payload)))).catch(() => undefined);
        break;
      case TYPE_GOAWAY:
        // No new streams; those open run to their end, which the socket's close marks.
        break;
      default:
        break; // SETTINGS, WINDOW_UPDATE, HEADERS: nothing to do for these protocols
    }
  }

  #onClose(err?: Error): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#deflate.close();
    for (const stream of this.#streams.values()) {
      if (!stream.readableEnded) stream.push(null);
      if (err && !stream.destroyed) stream.destroy(new StreamingError(`the streaming connection failed: ${err.message}`, undefined, { cause: err }));
    }
  }
}

function encodeHeaders(headers: Record<string, string>): Buffer {
  const entries = Object.entries(headers);
  const parts: Buffer[] = [u32(entries.length)];
  for (const [name, value] of entries) {
    const n = Buffer.from(name.toLowerCase(), "utf8");
    const v = Buffer.from(value, "utf8");
    parts.push(u32(n.length), n, u32(v.length), v);
  }
  return Buffer.concat(parts);
}

function controlFrame(type: number, flags: number, body: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt16BE(0x8000 | VERSION, 0);
  header.writeUInt16BE(type, 2);
  header.writeUInt32BE((flags << 24) | body.length, 4);
  return Buffer.concat([header, body]);
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}
