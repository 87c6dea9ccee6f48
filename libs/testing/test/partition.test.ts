// The partitioner drops a port's or a cgroup's traffic silently (a connect neither succeeds nor is refused) and heals it.
import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { once } from "node:events";
import { connect, createServer, type Socket } from "node:net";
import { after, test } from "node:test";
import { promisify } from "node:util";
import { enterTestNetns } from "../src/netns.js";
import { startPartitioner } from "../src/partition.js";
import { createTestCgroup, type TestCgroup } from "../src/test-cgroup.js";
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

/** Runs a node child in `group` that sends "ping" to the echo server and prints what came back within 1.5 s. */
async function echoFrom(group: TestCgroup): Promise<string> {
  const script = `const s=require("net").connect(${port},"127.0.0.1");let got="";s.on("data",d=>{got+=d;if(got==="ping"){console.log("echo");process.exit(0)}});s.on("error",e=>{console.log("error:"+e.code);process.exit(0)});s.write("ping");setTimeout(()=>{console.log("silent");process.exit(0)},1500);`;
  const argv = group.wrap(process.execPath, ["-e", script]);
  const { stdout } = await promisify(execFile)(argv.command, argv.args);
  return stdout.trim();
}

test("isolate drops the traffic of one cgroup's processes only, silently; heal restores it", async () => {
  const partitioner = await startPartitioner();
  const group = await createTestCgroup("isolate-test");
  try {
    assert.equal(await echoFrom(group), "echo", "before the isolation");
    const cut = await partitioner.isolate(group);
    assert.equal(await echoFrom(group), "silent", "an isolated process gets neither a reply nor an error");
    const outsider = await tryConnect(5_000);
    assert.equal(outsider.outcome, "connected", "a process outside the group is not affected");
    outsider.socket.destroy();
    await cut.heal();
    assert.equal(await echoFrom(group), "echo", "after healing");
  } finally {
    await partitioner.close();
    await group.remove();
  }
  assert.ok(!existsSync(group.dir), "cgroup removed");
});
