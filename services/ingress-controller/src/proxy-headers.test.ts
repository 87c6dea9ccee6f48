// Unit tests of the proxy's header rewriting: hop-by-hop removal and X-Forwarded-*.
import assert from "node:assert/strict";
import type { IncomingMessage } from "node:http";
import { test } from "node:test";
import { endToEndHeaders, upstreamRequestHeaders } from "./proxy-headers.js";

test("hop-by-hop headers, and those Connection lists, are dropped", () => {
  const out = endToEndHeaders({ connection: "keep-alive, x-secret", "keep-alive": "timeout=5", "transfer-encoding": "chunked", "x-secret": "1", "x-kept": "2", te: "trailers" });
  assert.deepEqual(out, { "x-kept": "2" });
});

test("X-Forwarded-For is appended to; Proto, Host and Real-IP are set; Upgrade survives for upgrades", () => {
  const req = {
    headers: { host: "a.example", "x-forwarded-for": "203.0.113.9", connection: "Upgrade", upgrade: "websocket" },
    socket: { remoteAddress: "127.0.0.1", localPort: 8080 },
  } as unknown as IncomingMessage;
  const out = upstreamRequestHeaders(req, "https");
  assert.equal(out["x-forwarded-for"], "203.0.113.9, 127.0.0.1");
  assert.equal(out["x-forwarded-proto"], "https");
  assert.equal(out["x-forwarded-host"], "a.example");
  assert.equal(out["x-forwarded-port"], "8080");
  assert.equal(out["x-real-ip"], "127.0.0.1");
  assert.equal(out.host, "a.example");
  assert.deepEqual([out.connection, out.upgrade], ["upgrade", "websocket"]);
});
