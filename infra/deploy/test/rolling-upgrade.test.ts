// Rolling upgrade of three control-plane machines (network namespaces) while a client writes 50 objects/s: no write fails after retries, none is lost.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { isAlreadyExists, kindFor } from "@kubeplane/api";
import { ApiClient } from "@kubeplane/client";
import { waitFor } from "@kubeplane/testing";
import { apiserverReady, clusterHealthy, REPO, startHaControlPlane, type HaCluster } from "./ha-support.js";

const isRoot = process.getuid?.() === 0;
const configMaps = kindFor("v1", "ConfigMap")!;
let ha: HaCluster;

before(async () => {
  if (!isRoot) return;
  ha = await startHaControlPlane(3);
  await waitFor(async () => (await Promise.all(ha.machines.map(apiserverReady))).every(Boolean), { timeoutMs: 60_000, intervalMs: 250, message: "every apiserver ready" });
  // The upgrade refuses to start on an unhealthy cluster: wait for every gate (the nats-authorizer's first sync included).
  await waitFor(() => clusterHealthy(ha), { timeoutMs: 60_000, intervalMs: 500, message: "every machine passes its health gates" });
});

after(async () => {
  await ha?.close();
});

test("a rolling upgrade of all three control-plane machines under 50 writes/s: 0 failed after retries, 0 lost", { skip: !isRoot && "needs root (network namespaces)", timeout: 300_000 }, async () => {
  const client = ApiClient.connect({ server: ha.apiservers, caFile: join(ha.pkiDir, "ca.crt"), certFile: join(ha.pkiDir, "admin.crt"), keyFile: join(ha.pkiDir, "admin.key"), timeoutMs: 10_000 });
  let stop = false;
  let retries = 0;
  const failed: string[] = [];
  const acknowledged: string[] = [];
  const writes: Array<Promise<void>> = [];
  /** One object, retried (a timed-out attempt may have committed: AlreadyExists then means written) for up to 30 s. */
  const write = async (name: string): Promise<void> => {
    const deadline = Date.now() + 30_000;
    for (let attempt = 0; ; attempt++) {
      try {
        await client.json.create(configMaps, { apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: "default", labels: { writer: "rolling" } }, data: { n: name } }, { signal: AbortSignal.timeout(3000) });
        acknowledged.push(name);
        return;
      } catch (err) {
        if (attempt > 0 && isAlreadyExists(err)) {
          acknowledged.push(name);
          return;
        }
        if (Date.now() > deadline) {
          failed.push(`${name}: ${(err as Error).message}`);
          return;
        }
        retries++;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  };
  const writer = (async () => {
    const start = Date.now();
    for (let i = 0; !stop; i++) {
      writes.push(write(`rw-${i}`));
      await new Promise((r) => setTimeout(r, Math.max(0, start + (i + 1) * 20 - Date.now()))); // 50 objects/s, on a fixed schedule
    }
  })();

  const t0 = Date.now();
  const { stdout } = await promisify(execFile)(join(REPO, "infra/deploy/rolling-upgrade.sh"), [
    "--pki-dir", ha.pkiDir, "--out", join(ha.dir, "bundles"), "-f", ha.valuesFile, "--set", "versions.kubeplane=0.1.1",
    "--netns-prefix", `${ha.bridge}-`, "--timeout", "120",
  ], { maxBuffer: 16 * 1024 * 1024 }).catch(async (err: Error & { stdout?: string }) => {
    // Stop the writer (its loop would keep the test process alive for good), then report: the script's
    // stdout says which machine and gate stopped it.
    stop = true;
    await writer;
    client.close();
    throw new Error(`${err.message}\n${err.stdout ?? ""}`, { cause: err });
  });
  const upgradeMs = Date.now() - t0;
  stop = true;
  await writer;
  await Promise.all(writes);
  const listed = new Set((await client.json.list(configMaps, { namespace: "default", labelSelector: "writer=rolling" })).items.map((o) => (o as { metadata?: { name?: string } }).metadata?.name ?? ""));
  client.close();
  // Lost: acknowledged (created, or AlreadyExists on a retry) and yet not there. A write that failed
  // after its retries was never acknowledged; it counts as failed, whether or not it committed.
  const lost = acknowledged.filter((name) => !listed.has(name));
  process.stderr.write(`# rolling upgrade of 3 control-plane machines took ${upgradeMs} ms; ${writes.length} writes (${(writes.length / (upgradeMs / 1000)).toFixed(1)}/s), ${retries} retried attempts, ${failed.length} failed, ${lost.length} lost\n`);
  assert.match(stdout, /cp-1: upgraded and healthy[\s\S]*cp-2: upgraded and healthy[\s\S]*cp-3: upgraded and healthy/);
  assert.match(stdout, /all 3 machines upgraded/);
  assert.deepEqual(failed, [], "no write failed after retries");
  assert.deepEqual(lost, [], "every acknowledged write is there after the upgrade");
  assert.equal(listed.size, writes.length, "every write is there after the upgrade");
  for (const m of ha.machines) {
    const installed = JSON.parse(await readFile(join(m.root, "etc/kubeplane/machine.json"), "utf8")) as { kubeplaneVersion: string };
    assert.equal(installed.kubeplaneVersion, "0.1.1", `${m.name} runs the new bundle`);
  }
});
