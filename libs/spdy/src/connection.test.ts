// Tests of the SPDY/3.1 connection: a client and a server of ours over an HTTP upgrade on loopback (headers, data both ways, half-close, reset, ping, close), and the header dictionary.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { once } from "node:events";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { connect, type AddressInfo, type Socket } from "node:net";
import { after, before, test } from "node:test";
import { SpdyConnection, StreamingError, connectSpdy, offeredStreamProtocols, SPDY3_HEADER_DICTIONARY, type SpdyStream } from "./index.js";

async function readAll(stream: SpdyStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

let server: Server;
let url = "";
/** The server side of each upgraded connection, in order. */
const accepted: SpdyConnection[] = [];
const serverStreams: SpdyStream[] = [];

before(async () => {
  server = createServer((_req, res) => res.writeHead(400).end("upgrade required"));
  server.on("upgrade", (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const offered = offeredStreamProtocols(req.headers["x-stream-protocol-version"]);
    if (!offered.includes("echo.test")) {
      socket.end("HTTP/1.1 403 Forbidden\r\nContent-Length: 11\r\nConnection: close\r\n\r\nno protocol");
      return;
    }
    socket.write("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: echo.test\r\n\r\n");
    const conn = new SpdyConnection(socket, { role: "server", head });
    accepted.push(conn);
    // Each stream echoes what it reads, upper-cased when its "mode" header says so, and ends when the client's side ends.
    conn.on("stream", (stream: SpdyStream) => {
      serverStreams.push(stream);
      stream.on("data", (c: Buffer) => stream.write(stream.headers.mode === "upper" ? Buffer.from(c.toString("latin1").toUpperCase(), "latin1") : c));
      stream.on("end", () => stream.end());
      stream.on("error", () => undefined);
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});

after(() => {
  server.closeAllConnections();
  server.close();
});

test("a client stream's headers reach the server, data flows both ways in order (frames split past 64 KiB), and FIN half-closes each side", { timeout: 20_000 }, async () => {
  const { connection, protocol } = await connectSpdy(url, ["nope.test", "echo.test"]);
  assert.equal(protocol, "echo.test");
  const upper = connection.openStream({ StreamType: "data", mode: "upper" });
  const plain = connection.openStream({ streamtype: "data", mode: "plain" });
  const big = randomBytes(200 * 1024);
  upper.end("hello, spdy");
  plain.write(big.subarray(0, 70_000));
  plain.end(big.subarray(70_000));
  const [a, b] = await Promise.all([readAll(upper), readAll(plain)]);
  assert.equal(a.toString(), "HELLO, SPDY");
  assert.ok(b.equals(big), `echoed ${b.length} of ${big.length} bytes, identical: ${b.equals(big)}`);
  const srv = serverStreams.slice(-2);
  assert.deepEqual(srv.map((s) => s.headers), [{ streamtype: "data", mode: "upper" }, { streamtype: "data", mode: "plain" }]);
  assert.deepEqual(srv.map((s) => s.id), [1, 3]);
  connection.close();
  await once(accepted.at(-1)!, "close");
});

test("a reset from the client ends the server stream's readable side; a closed connection ends every stream", { timeout: 20_000 }, async () => {
  const { connection } = await connectSpdy(url, ["echo.test"]);
  const s = connection.openStream({ streamtype: "data" });
  s.write("x");
  assert.equal((await once(s, "data"))[0].toString(), "x");
  const srv = serverStreams.at(-1)!;
  const ended = once(srv, "end");
  s.reset();
  await ended;
  assert.equal(srv.wasReset, true);
  // The server's writes after the reset are dropped, not sent on a dead stream.
  srv.write("late");
  const open = connection.openStream({ streamtype: "data" });
  open.resume();
  const openEnded = once(open, "end");
  const closed = once(connection, "close");
  accepted.at(-1)!.close();
  await Promise.all([openEnded, closed]);
  assert.equal(connection.closed, true);
  await assert.rejects(connection.sendData(1, Buffer.from("y"), false), StreamingError);
});

test("the server echoes a client's PING (odd id) and ignores one of its own parity", { timeout: 20_000 }, async () => {
  const sock = connect(Number(new URL(url).port), "127.0.0.1");
  await once(sock, "connect");
  sock.write("POST / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: echo.test\r\nContent-Length: 0\r\n\r\n");
  let got = Buffer.alloc(0);
  sock.on("data", (c: Buffer) => (got = Buffer.concat([got, c])));
  const ping = (id: number): Buffer => Buffer.from([0x80, 0x03, 0x00, 0x06, 0x00, 0x00, 0x00, 0x04, 0, 0, 0, id]);
  const until = async (cond: () => boolean): Promise<void> => {
    const deadline = Date.now() + 10_000;
    while (!cond()) {
      if (Date.now() > deadline) throw new Error(`timed out; received ${got.toString("hex")}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  await until(() => got.includes("\r\n\r\n"));
  assert.match(got.toString("latin1"), /^HTTP\/1.1 101/);
  got = got.subarray(got.indexOf("\r\n\r\n") + 4);
  // An even id is the server's own (an answer to a ping it never sent): not echoed; the odd one after it is.
  sock.write(Buffer.concat([ping(8), ping(7)]));
  await until(() => got.length >= 12);
  assert.ok(got.equals(ping(7)), got.toString("hex"));
  sock.destroy();
});

test("a refused upgrade is a StreamingError with the server's status and body", { timeout: 20_000 }, async () => {
  await assert.rejects(connectSpdy(url, ["other.test"]), (err: unknown) => err instanceof StreamingError && err.status === 403 && /no protocol/.test(err.message));
});

test("the SPDY/3 header dictionary is the protocol's 1423 bytes", { timeout: 20_000 }, () => {
  assert.equal(SPDY3_HEADER_DICTIONARY.length, 1423);
  // The digest of the dictionary as moby/spdystream (which containerd's streaming server and kubectl use) defines it.
  assert.equal(createHash("sha256").update(SPDY3_HEADER_DICTIONARY).digest("hex"), "51d27341373f923f3cd88e1eb7162aeaa3723d7585ff2399201dc06498407f02");
});
