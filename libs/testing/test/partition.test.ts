// The partitioner drops a port's traffic silently (a connect neither succeeds nor is refused) and heals it.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { once } from "node:events";
import { connect, createServer, type Socket } from "node:net";
import { after, test } from "node:test";
import { enterTestNetns } from "../src/netns.js";
import { startPartitioner } from "../src/partition.js";
import { waitFor } from "../src/wait-for.js";

await enterTestNetns(import.meta.url);

const server = createServer((socket) => socket.pipe(socket));
server.listen(0, "127.0.0.1");
await once(server, "listening");
const port = (server.address() as { port: number }).port;
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** What became of a connect within `ms`: "connected", "error:<code>", or "pending" (silence). */
async function tryConnect(ms: number): Promise<{ outcome: string; socket: Socket }> {
  const socket = connect({ host: "127.0.0.1", port });
  const outcome = await new Promise<string>((resolve) => {
    const timer = setTimeout(() => resolve("pending"), ms);
    socket.once("connect", () => (clearTimeout(timer), resolve("connected")));
    socket.once("error", (err: NodeJS.ErrnoException) => (clearTimeout(timer), resolve(`error:${err.code}`)));
  });
  return { outcome, socket };
}

test("a cut port is silent both ways, an established connection too; heal restores it; close removes the table", async () => {
  const partitioner = await startPartitioner();
  const live = await tryConnect(5_000);
  assert.equal(live.outcome, "connected");
  let echoed = "";
  live.socket.on("data", (d: Buffer) => (echoed += d.toString()));

  const cut = await partitioner.cut([port]);
  assert.deepEqual(await partitioner.droppedPorts(), [port]);
  const during = await tryConnect(1_000);
  assert.equal(during.outcome, "pending", "a new connection is neither accepted nor refused");
  live.socket.write("lost?");
  await new Promise((r) => setTimeout(r, 300)); // a window in which an echo would have come back (loopback: < 1 ms)
  assert.equal(echoed, "", "an established connection gets no reply while cut");

  await cut.heal();
  assert.deepEqual(await partitioner.droppedPorts(), []);
  // TCP retransmits what was dropped: the held-back write arrives and the pending connect completes.
  await waitFor(() => echoed === "lost?", { timeoutMs: 15_000, message: "the retransmitted write echoed after heal" });
  await waitFor(() => !during.socket.connecting, { timeoutMs: 15_000, message: "the SYN sent during the cut is retransmitted and accepted" });
  live.socket.destroy();
  during.socket.destroy();

  await partitioner.close();
  assert.ok(!execFileSync("nft", ["list", "tables"]).toString().includes(partitioner.table), "table deleted");
});
