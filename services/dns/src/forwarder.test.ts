// Unit tests of the forwarder against resolvers on loopback: order, timeout, the client's ID.
import assert from "node:assert/strict";
import { createSocket, type Socket } from "node:dgram";
import { once } from "node:events";
import { after, test } from "node:test";
import dnsPacket from "dns-packet";
import { Registry } from "prom-client";
import { createLogger } from "@kubeplane/service-kit";
import { Forwarder } from "./forwarder.js";
import { dnsMetrics } from "./metrics.js";
import { queryBytes } from "./test-support.js";

const sockets: Socket[] = [];
after(async () => {
  await Promise.all(sockets.map((s) => new Promise<void>((r) => s.close(() => r()))));
});

/** A loopback UDP resolver; `answer` false means it never replies. Returns its port and the IDs it saw. */
async function resolver(answer: boolean): Promise<{ port: number; ids: number[] }> {
  const socket = createSocket("udp4");
  sockets.push(socket);
  const ids: number[] = [];
  socket.on("message", (msg, rinfo) => {
    const q = dnsPacket.decode(msg);
    ids.push(q.id ?? -1);
    if (!answer) return;
    const reply = dnsPacket.encode({ type: "response", id: q.id, flags: dnsPacket.RECURSION_AVAILABLE, questions: q.questions, answers: [{ type: "A", name: q.questions![0]!.name, ttl: 9, data: "192.0.2.1" }] });
    socket.send(reply, rinfo.port, rinfo.address);
  });
  socket.bind(0, "127.0.0.1");
  await once(socket, "listening");
  return { port: socket.address().port, ids };
}

const forwarder = (upstreams: string[], timeoutMs: number): Forwarder => new Forwarder(upstreams, timeoutMs, dnsMetrics(new Registry()), createLogger("dns-test", "silent"));

test("a silent upstream times out and the next one answers, relayed with the client's ID", async () => {
  const [silent, good] = [await resolver(false), await resolver(true)];
  const f = forwarder([`127.0.0.1:${silent.port}`, `127.0.0.1:${good.port}`], 150);
  try {
    const started = performance.now();
    const answer = await f.forward(queryBytes("example.org", "A", { id: 777 }));
    assert.ok(answer);
    assert.ok(performance.now() - started >= 140, "waited for the first upstream's timeout");
    const decoded = dnsPacket.decode(answer);
    assert.equal(decoded.id, 777);
    assert.deepEqual(decoded.answers?.map((a) => ("data" in a ? a.data : undefined)), ["192.0.2.1"]);
    assert.equal(silent.ids.length, 1);
    assert.notEqual(good.ids[0], 777, "upstreams see the forwarder's own ID");
  } finally {
    f.close();
  }
});

test("no upstream answering gives undefined (the caller's SERVFAIL)", async () => {
  const silent = await resolver(false);
  const f = forwarder([`127.0.0.1:${silent.port}`], 100);
  try {
    assert.equal(await f.forward(queryBytes("example.org", "A")), undefined);
  } finally {
    f.close();
  }
});

test("concurrent forwards are matched to their own answers", async () => {
  const good = await resolver(true);
  const f = forwarder([`127.0.0.1:${good.port}`], 1000);
  try {
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => f.forward(queryBytes(`n${i}.example.org`, "A", { id: 1000 + i }))));
    assert.deepEqual(
      answers.map((a) => (a ? [dnsPacket.decode(a).id, dnsPacket.decode(a).questions?.[0]?.name] : undefined)),
      Array.from({ length: 50 }, (_, i) => [1000 + i, `n${i}.example.org`]),
    );
  } finally {
    f.close();
  }
});
