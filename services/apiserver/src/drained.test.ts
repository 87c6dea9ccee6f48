import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { Writable } from "node:stream";
import { test } from "node:test";
import { drainedOrGone } from "./drained.js";

/** A writable whose reader never reads: its buffer stays full until destroyed. */
function stuckWritable(): Writable {
  return new Writable({ highWaterMark: 4, write: () => undefined });
}

const settled = async (p: Promise<void>): Promise<boolean> => {
  let done = false;
  void p.then(() => (done = true));
  await new Promise((resolve) => setImmediate(resolve));
  return done;
};

test("a full buffer whose reader goes away (destroyed) no longer holds the writer", async () => {
  const w = stuckWritable();
  w.on("error", () => undefined);
  assert.equal(w.write("0123456789"), false);
  const waiting = drainedOrGone(w, new AbortController().signal);
  assert.equal(await settled(waiting), false, "still waiting while the buffer is full");
  w.destroy();
  await waiting;
  assert.equal(w.listenerCount("drain") + w.listenerCount("close"), 0, "its listeners are removed");
});

test("drain, a cancelled gRPC call and an aborted signal each end the wait; an already aborted signal or destroyed stream does not wait", async () => {
  const drained = new EventEmitter();
  const a = drainedOrGone(drained, new AbortController().signal);
  drained.emit("drain");
  await a;
  const call = new EventEmitter();
  const b = drainedOrGone(call, new AbortController().signal);
  call.emit("cancelled");
  await b;
  const controller = new AbortController();
  const c = drainedOrGone(new EventEmitter(), controller.signal);
  assert.equal(await settled(c), false);
  controller.abort();
  await c;
  await drainedOrGone(new EventEmitter(), AbortSignal.abort());
  const gone = stuckWritable();
  gone.destroy();
  await drainedOrGone(gone, new AbortController().signal);
});
