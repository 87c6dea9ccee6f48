// Integration test of the cloud-controller-manager as its own process: leader election through its Lease, fail-over, clean SIGTERM, refusal of a bad inventory.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { coreV1Node, isNotFound, kindFor, type coordinationV1, type KindInfo } from "@kubeplane/api";
import { clientTls, freePort, httpProbe, nodeEntryArgs, serviceEntry, serviceTlsFlags, testPkiNow, waitFor } from "@kubeplane/testing";
import { nodeKind, UNINITIALIZED_TAINT } from "../src/controllers/cloud-node.js";
import { startCcmCluster, type CcmCluster } from "./harness.js";

const leases = kindFor("coordination.k8s.io/v1", "Lease") as KindInfo<coordinationV1.Lease>;

interface CcmProcess {
  proc: ChildProcess;
  exit: Promise<number | null>;
  output(): string;
}

/** Spawns the service's main.ts with `flags`; readiness is the caller's to wait for. */
async function spawnCcm(flags: Record<string, string>): Promise<CcmProcess & { httpUrl: string }> {
  const http = `127.0.0.1:${await freePort()}`;
  const all = { "grpc-listen": `127.0.0.1:${await freePort()}`, "http-listen": http, "log-level": "info", ...serviceTlsFlags(clientTls("cloud-controller-manager")), ...flags };
  const proc = spawn(process.execPath, [...nodeEntryArgs(serviceEntry("cloud-controller-manager")), ...Object.entries(all).map(([k, v]) => `--${k}=${v}`)], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  proc.stdout.on("data", (d: Buffer) => (out += d.toString()));
  proc.stderr.on("data", (d: Buffer) => (out += d.toString()));
  const exit = once(proc, "exit").then(([code]) => code as number | null);
  return { proc, exit, output: () => out, httpUrl: `https://${http}` };
}

describe("cloud-controller-manager process", () => {
  let cluster: CcmCluster;
  const started: CcmProcess[] = [];

  before(async () => {
    cluster = await startCcmCluster({ machines: [{ name: "n1", addresses: [{ type: "InternalIP", address: "10.213.3.1" }] }, { name: "n2", addresses: [{ type: "InternalIP", address: "10.213.3.2" }] }] });
  });

  after(async () => {
    for (const p of started) if (p.proc.exitCode === null && p.proc.signalCode === null) p.proc.kill("SIGKILL");
    await Promise.all(started.map((p) => p.exit));
    await cluster?.stop();
  });

  const flagsFor = (identity: string): Record<string, string> => ({
    apiserver: cluster.plane.apiserver.grpcAddress,
    "nats-url": cluster.plane.nats.url,
    "cloud-config": join(cluster.dir, "cloud.yaml"),
    "local-path-root": join(cluster.dir, "local-path"),
    controllers: "cloud-node",
    identity,
    "lease-duration": "2s",
    "renew-deadline": "1500ms",
    "retry-period": "200ms",
  });

  const initialised = (name: string): Promise<unknown> =>
    waitFor(async () => {
      const n = (await cluster.client.get(nodeKind, "", name)) as coreV1Node.Node;
      return n.spec?.providerId === `baremetal://${name}`;
    }, { timeoutMs: 20_000, message: `${name} initialised` });

  const holder = async (): Promise<string | undefined> => {
    try {
      return ((await cluster.client.get(leases, "kube-system", "cloud-controller-manager")) as coordinationV1.Lease).spec?.holderIdentity;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  };

  it("holds the kube-system/cloud-controller-manager Lease, hands over to a standby on SIGTERM, and exits 0", async () => {
    const first = await spawnCcm(flagsFor("ccm-1"));
    started.push(first);
    await waitFor(async () => (await holder()) === "ccm-1", { timeoutMs: 20_000, message: "ccm-1 to lead" });
    const second = await spawnCcm(flagsFor("ccm-2"));
    started.push(second);
    await waitFor(async () => (await httpProbe("GET", `${second.httpUrl}/readyz`, undefined, 2_000, { caFile: testPkiNow().caFile }).catch(() => undefined))?.status === 200, { timeoutMs: 20_000, message: "the standby to be ready" });
    const taint = [{ key: UNINITIALIZED_TAINT, value: "true", effect: "NoSchedule" }];
    await cluster.client.create(nodeKind, coreV1Node.Node.fromPartial({ apiVersion: "v1", kind: "Node", metadata: { name: "n1" }, spec: { taints: taint } }));
    await initialised("n1");

    first.proc.kill("SIGTERM");
    assert.equal(await first.exit, 0, `ccm-1 exits cleanly on SIGTERM:\n${first.output()}`);
    await waitFor(async () => (await holder()) === "ccm-2", { timeoutMs: 20_000, message: "ccm-2 to take over" });
    await cluster.client.create(nodeKind, coreV1Node.Node.fromPartial({ apiVersion: "v1", kind: "Node", metadata: { name: "n2" }, spec: { taints: taint } }));
    await initialised("n2");
    second.proc.kill("SIGTERM");
    assert.equal(await second.exit, 0, `ccm-2 exits cleanly on SIGTERM:\n${second.output()}`);
  });

  it("refuses to start with an invalid inventory, naming the field", async () => {
    const dir = cluster.dir;
    writeFileSync(join(dir, "bad-inventory.yaml"), "machines:\n  - name: ok\n  - name: bad\n    addresses: [{type: Foo, address: 10.0.0.1}]\n");
    writeFileSync(join(dir, "bad-cloud.yaml"), "inventory: {file: bad-inventory.yaml}\n");
    const bad = await spawnCcm({ ...flagsFor("ccm-bad"), "cloud-config": join(dir, "bad-cloud.yaml") });
    started.push(bad);
    const code = await bad.exit;
    assert.notEqual(code, 0);
    assert.match(bad.output(), /inventory\.machines\[1\]\.addresses\[0\]\.type: Unsupported value: \\?"Foo\\?"/);
  });
});
