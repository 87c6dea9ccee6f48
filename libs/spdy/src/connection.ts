// A SPDY/3.1 connection over any byte stream (a TCP or TLS socket after an HTTP upgrade, or a WebSocket tunnel), in either role, as Kubernetes' streaming protocols use it.
//
// What those protocols use, as moby/spdystream (containerd's and kubectl's implementation) speaks it:
// streams opened by the client (SYN_STREAM with headers), answered by the server (SYN_REPLY), DATA
// with FIN for half-close, RST_STREAM, PING (echoed) and GOAWAY. spdystream keeps no flow-control
// windows (it neither sends nor honours WINDOW_UPDATE), so neither does this: backpressure is the
// transport's (a stream whose reader is full pauses the transport). Header blocks are
// zlib-compressed with the protocol's dictionary over one compression and one decompression
// context per connection, as SPDY requires; frames are read strictly in order.
import { EventEmitter, once } from "node:events";
import { Duplex } from "node:stream";
import { constants as zlibConstants, createDeflate, createInflate, type Deflate, type Inflate } from "node:zlib";
import { SPDY3_HEADER_DICTIONARY } from "./dictionary.js";

const VERSION = 3;
const TYPE_SYN_STREAM = 1;
const TYPE_SYN_REPLY = 2;
const TYPE_RST_STREAM = 3;
const TYPE_PING = 6;
const TYPE_GOAWAY = 7;
const TYPE_HEADERS = 8;
const FLAG_FIN = 0x01;
/** RST_STREAM status codes (SPDY/3 section 2.6.3). */
export const RST_PROTOCOL_ERROR = 1;
export const RST_REFUSED_STREAM = 3;
export const RST_CANCEL = 5;
const MAX_DATA = 0xffff;
/** A header block larger than this is a protocol error (the Kubernetes protocols send a handful of short headers). */
const MAX_HEADER_BLOCK = 256 * 1024;

/** The peer refused an upgrade or broke the protocol; `status` is the HTTP status when it answered one. */
export class StreamingError extends Error {
  readonly code = "STREAMING_ERROR";
  constructor(message: string, readonly status?: number, options?: ErrorOptions) {
    super(message, options);
    this.name = "StreamingError";
  }
}

/** Which end of the connection this is: clients open odd-numbered streams, servers answer them. */
export type SpdyRole = "client" | "server";

/**
 * One SPDY stream: writes become DATA frames, `end()` sends FIN (the peer's reader sees EOF), the
 * peer's DATA is read, its FIN (or the connection's end) ends the readable side. A RST_STREAM with
 * CANCEL from the peer ends the readable side and drops later writes; another status destroys the
 * stream with a StreamingError. Either emits "reset" (the status) first.
 */
export class SpdyStream extends Duplex {
  /** Set once either side reset the stream: nothing more is sent on it. */
  wasReset = false;

  constructor(
    readonly id: number,
    /** The headers of the SYN_STREAM that opened it (names lower-case). */
    readonly headers: Readonly<Record<string, string>>,
    private readonly conn: SpdyConnection,
  ) {
    super({ allowHalfOpen: true });
  }

  override _read(): void {
    this.conn.resumeTransport();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, callback: (err?: Error | null) => void): void {
    if (this.wasReset) return callback();
    this.conn.sendData(this.id, chunk, false).then(() => callback(), callback);
  }

  override _final(callback: (err?: Error | null) => void): void {
    if (this.wasReset) return callback();
    this.conn.sendData(this.id, Buffer.alloc(0), true).then(() => callback(), callback);
  }

  /** Abandons the stream both ways: sends RST_STREAM (CANCEL by default) and ends the readable side. */
  reset(status = RST_CANCEL): void {
    if (this.wasReset) return;
    this.wasReset = true;
    this.conn.sendReset(this.id, status);
    if (!this.readableEnded) this.push(null);
  }
}

export interface SpdyConnectionOptions {
  role: SpdyRole;
  /** Bytes the upgrade already read past its headers: the connection's first bytes. */
  head?: Buffer;
}

/**
 * A SPDY/3.1 connection on `transport`. A client opens streams with `openStream`; a server gets
 * each stream the client opens as a "stream" event, after its SYN_REPLY was queued (so nothing it
 * writes can precede the reply). Frames leave in the order they were asked for (one serial queue).
 * Events: "stream" (SpdyStream, server role), "goaway" (the peer opens no more streams), "close"
 * (the transport ended; every stream's readable side has ended). Not reusable after `close()`.
 */
export class SpdyConnection extends EventEmitter {
  readonly role: SpdyRole;
  readonly #transport: Duplex;
  readonly #deflate: Deflate = createDeflate({ dictionary: SPDY3_HEADER_DICTIONARY });
  readonly #inflate: Inflate = createInflate({ dictionary: SPDY3_HEADER_DICTIONARY });
  readonly #streams = new Map<number, SpdyStream>();
  #nextId: number;
  #queue: Promise<void> = Promise.resolve();
  #buffered: Buffer = Buffer.alloc(0);
  #reading = false;
  #closed = false;
  #markClosed: () => void = () => undefined;
  readonly #whenClosed = new Promise<void>((resolve) => (this.#markClosed = resolve));

  constructor(transport: Duplex, opts: SpdyConnectionOptions) {
    super();
    this.role = opts.role;
    this.#nextId = opts.role === "client" ? 1 : 2;
    this.#transport = transport;
    (transport as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
    transport.on("data", (chunk: Buffer) => this.#onData(chunk));
    transport.on("end", () => transport.destroy());
    transport.on("close", () => this.#onClose());
    transport.on("error", (err: Error) => this.#onClose(err));
    if (opts.head?.length) this.#onData(opts.head);
  }

  /** Whether the transport has ended (no frame is sent or read any more). */
  get closed(): boolean {
    return this.#closed;
  }

  /** The streams not yet ended both ways (for tests and diagnostics). */
  get openStreams(): number {
    return [...this.#streams.values()].filter((s) => !(s.readableEnded && s.writableFinished) && !s.destroyed).length;
  }

  /** Opens a stream with these headers (names lower-cased, as SPDY requires). */
  openStream(headers: Record<string, string>): SpdyStream {
    const id = this.#nextId;
    this.#nextId += 2;
    const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
    const stream = new SpdyStream(id, lower, this);
    this.#streams.set(id, stream);
    this.#enqueue(async () => {
      const block = await this.#compress(encodeHeaders(lower));
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

  /** Sends RST_STREAM for a stream. */
  sendReset(id: number, status: number): void {
    this.#enqueue(() => Promise.resolve(controlFrame(TYPE_RST_STREAM, 0, Buffer.concat([u32(id & 0x7fffffff), u32(status)])))).catch(() => undefined);
  }

  /** Sends GOAWAY (no new streams will be accepted), then closes the transport once queued frames left. */
  goAway(): void {
    const lastId = Math.max(0, ...[...this.#streams.keys()].filter((id) => id % 2 !== this.#nextId % 2));
    this.#enqueue(() => Promise.resolve(controlFrame(TYPE_GOAWAY, 0, Buffer.concat([u32(lastId), u32(0)]))))
      .catch(() => undefined)
      .finally(() => this.#transport.end());
  }

  resumeTransport(): void {
    if (this.#transport.isPaused()) this.#transport.resume();
  }

  /** Ends the connection at once: every stream's readable side ends. */
  close(): void {
    this.#transport.destroy();
    this.#onClose();
  }

  #enqueue(build: () => Promise<Buffer>): Promise<void> {
    const next = this.#queue.then(async () => {
      if (this.#closed) throw new StreamingError("the streaming connection is closed");
      const frame = await build();
      if (!this.#transport.write(frame) && !this.#closed) await Promise.race([once(this.#transport, "drain"), this.#whenClosed]);
    });
    this.#queue = next.catch(() => undefined);
    return next;
  }

  #compress(block: Buffer): Promise<Buffer> {
    return zlibBlock(this.#deflate, block);
  }

  #onData(chunk: Buffer): void {
    this.#buffered = this.#buffered.length ? Buffer.concat([this.#buffered, chunk]) : chunk;
    void this.#readFrames();
  }

  /** Handles the buffered frames one after the other (a header block's decompression is asynchronous, and order matters). */
  async #readFrames(): Promise<void> {
    if (this.#reading) return;
    this.#reading = true;
    try {
      while (!this.#closed && this.#buffered.length >= 8) {
        const length = this.#buffered.readUInt32BE(4) & 0xffffff;
        if (this.#buffered.length < 8 + length) break;
        const first = this.#buffered.readUInt32BE(0);
        const flags = this.#buffered[4]!;
        const payload = Buffer.from(this.#buffered.subarray(8, 8 + length));
        this.#buffered = this.#buffered.subarray(8 + length);
        if (first & 0x80000000) await this.#onControl(first & 0xffff, flags, payload);
        else this.#onStreamData(first & 0x7fffffff, flags, payload);
      }
    } catch (err) {
      this.#transport.destroy();
      this.#onClose(err instanceof Error ? err : new Error(String(err)));
    } finally {
      this.#reading = false;
    }
  }

  #onStreamData(id: number, flags: number, payload: Buffer): void {
    const stream = this.#streams.get(id);
    if (!stream || stream.readableEnded) return; // a stream already reset or ended: spdystream drops these too
    if (payload.length && !stream.push(payload)) this.#transport.pause();
    if (flags & FLAG_FIN) stream.push(null);
  }

  async #onControl(type: number, flags: number, payload: Buffer): Promise<void> {
    switch (type) {
      case TYPE_SYN_STREAM:
        return this.#onSynStream(flags, payload);
      case TYPE_SYN_REPLY:
      case TYPE_HEADERS: {
        // The reply's headers carry nothing these protocols read, but the block must go through the shared decompression context.
        await this.#decompress(payload.subarray(4));
        const stream = this.#streams.get(payload.readUInt32BE(0) & 0x7fffffff);
        if (type === TYPE_SYN_REPLY) stream?.emit("reply");
        if (stream && flags & FLAG_FIN && !stream.readableEnded) stream.push(null);
        return;
      }
      case TYPE_RST_STREAM: {
        const stream = this.#streams.get(payload.readUInt32BE(0) & 0x7fffffff);
        const status = payload.readUInt32BE(4);
        if (!stream) return;
        stream.wasReset = true;
        stream.emit("reset", status);
        // spdystream resets every stream when its side closes (CANCEL): for a reader that is the stream's end.
        if (status === RST_CANCEL) {
          if (!stream.readableEnded) stream.push(null);
        } else stream.destroy(new StreamingError(`the peer reset stream ${stream.id} (status ${status})`));
        return;
      }
      case TYPE_PING:
        // Echo the peer's pings (clients send odd ids, servers even); one of our own parity would be an answer, and we send none.
        if (payload.length === 4 && (payload.readUInt32BE(0) % 2 === 1) === (this.role === "server")) {
          this.#enqueue(() => Promise.resolve(controlFrame(TYPE_PING, 0, payload))).catch(() => undefined);
        }
        return;
      case TYPE_GOAWAY:
        // No new streams; those open run to their end, which the transport's close marks.
        this.emit("goaway");
        return;
      default:
        return; // SETTINGS, WINDOW_UPDATE, NOOP: nothing to do for these protocols (no flow-control windows, as spdystream)
    }
  }

  async #onSynStream(flags: number, payload: Buffer): Promise<void> {
    if (payload.length < 10) throw new StreamingError("a SYN_STREAM frame shorter than its fixed fields");
    const id = payload.readUInt32BE(0) & 0x7fffffff;
    const headers = decodeHeaders(await this.#decompress(payload.subarray(10)));
    if (this.role !== "server" || id % 2 !== 1 || this.#streams.has(id)) {
      this.sendReset(id, RST_PROTOCOL_ERROR);
      return;
    }
    const stream = new SpdyStream(id, headers, this);
    this.#streams.set(id, stream);
    stream.once("close", () => this.#streams.delete(id));
    this.#enqueue(async () => {
      const block = await this.#compress(encodeHeaders({}));
      return controlFrame(TYPE_SYN_REPLY, 0, Buffer.concat([u32(id), block]));
    }).catch(() => undefined);
    if (flags & FLAG_FIN) stream.push(null);
    if (this.listenerCount("stream") === 0) stream.reset(RST_REFUSED_STREAM);
    else this.emit("stream", stream);
  }

  #decompress(block: Buffer): Promise<Buffer> {
    if (block.length > MAX_HEADER_BLOCK) return Promise.reject(new StreamingError(`a header block of ${block.length} bytes`));
    return zlibBlock(this.#inflate, block);
  }

  #onClose(err?: Error): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#markClosed();
    this.#deflate.close();
    this.#inflate.close();
    for (const stream of this.#streams.values()) {
      if (!stream.readableEnded) stream.push(null);
      if (err && !stream.destroyed) stream.destroy(new StreamingError(`the streaming connection failed: ${err.message}`, undefined, { cause: err }));
    }
    this.emit("close", err);
  }
}

/** Runs one header block through a connection's (de)compression context, flushed to a byte boundary as SPDY's framers do. */
function zlibBlock(z: Deflate | Inflate, block: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const out: Buffer[] = [];
    const onData = (c: Buffer): void => void out.push(c);
    const onError = (err: Error): void => {
      z.off("data", onData);
      reject(new StreamingError(`a SPDY header block could not be (de)compressed: ${err.message}`, undefined, { cause: err }));
    };
    z.on("data", onData);
    z.once("error", onError);
    z.write(block);
    z.flush(zlibConstants.Z_SYNC_FLUSH, () => {
      z.off("data", onData);
      z.off("error", onError);
      resolve(Buffer.concat(out));
    });
  });
}

/** A SPDY/3 header block: a count, then length-prefixed names (lower-case) and values. */
export function encodeHeaders(headers: Record<string, string>): Buffer {
  const entries = Object.entries(headers);
  const parts: Buffer[] = [u32(entries.length)];
  for (const [name, value] of entries) {
    const n = Buffer.from(name.toLowerCase(), "utf8");
    const v = Buffer.from(value, "utf8");
    parts.push(u32(n.length), n, u32(v.length), v);
  }
  return Buffer.concat(parts);
}

/** The headers of a decompressed block (a repeated name's values joined by NUL, as SPDY sends them). */
export function decodeHeaders(block: Buffer): Record<string, string> {
  const headers: Record<string, string> = {};
  if (block.length === 0) return headers;
  let off = 0;
  const read = (): string => {
    if (off + 4 > block.length) throw new StreamingError("a truncated SPDY header block");
    const len = block.readUInt32BE(off);
    off += 4;
    if (off + len > block.length) throw new StreamingError("a truncated SPDY header block");
    const s = block.subarray(off, off + len).toString("utf8");
    off += len;
    return s;
  };
  const count = block.readUInt32BE(0);
  off = 4;
  for (let i = 0; i < count; i++) {
    const name = read().toLowerCase();
    headers[name] = read();
  }
  return headers;
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
  b.writeUInt32BE(n >>> 0);
  return b;
}
