#!/usr/bin/env node
// kpctl's executable: wires the process's streams, environment and Ctrl-C into run().
import { run } from "./index.js";

const controller = new AbortController();
let interrupted = false;
process.on("SIGINT", () => {
  // The first Ctrl-C ends `get -w` and waits cleanly; a second one leaves at once.
  if (interrupted) process.exit(130);
  interrupted = true;
  controller.abort(new Error("interrupted"));
});

const code = await run(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
  signal: controller.signal,
});
process.exitCode = interrupted && code === 0 ? 0 : code;
