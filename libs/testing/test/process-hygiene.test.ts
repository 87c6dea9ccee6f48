// Integration test of the cleanup registry: servers never outlive a test process that dies without stopping them.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { connect } from "node:net";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { waitFor } from "../src/index.js";

const fixture = fileURLToPath(new URL("./fixtures/abandon-servers.ts", import.meta.url));

interface Abandoned {
  ports: number[];
  dirs: string[];
}

/** Runs the fixture, calls `afterStart` once it has reported its servers, and resolves when it has exited. */
async function runFixture(mode: "crash" | "signal", afterStart: (child: ReturnType<typeof spawn>) => void): Promise<Abandoned> {
  const child = spawn(process.execPath, ["--conditions=source", "--import", "tsx", fixture, mode], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const line = await waitFor(() => (stdout.includes("\n") ? stdout.split("\n")[0] : undefined), {
    timeoutMs: 20_000,
    message: `the fixture to report its servers (stderr: ${stderr})`,
  }).catch((error: unknown) => {
    child.kill("SIGKILL");
    throw error;
  });
  afterStart(child);
  await exited;
  return JSON.parse(line!) as Abandoned;
}

function refusesConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", () => resolve(true));
  });
}

async function assertNothingLeft(abandoned: Abandoned): Promise<void> {
  await waitFor(async () => (await Promise.all(abandoned.ports.map(refusesConnections))).every(Boolean), {
    timeoutMs: 5_000,
    message: `ports ${abandoned.ports.join(", ")} to be released`,
  });
  for (const dir of abandoned.dirs) assert.equal(existsSync(dir), false, `${dir} should be removed`);
}

test("servers are killed and temp dirs removed when a test process crashes without stopping them", async () => {
  await assertNothingLeft(await runFixture("crash", () => {}));
});

test("servers are killed and temp dirs removed when a test process is terminated by SIGTERM", async () => {
  await assertNothingLeft(await runFixture("signal", (child) => child.kill("SIGTERM")));
});
