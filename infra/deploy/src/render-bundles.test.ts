// Unit tests of the kubeplane chart's rendering: golden bundles, schema errors by path, systemd-analyze verify on every unit.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, stat, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { Bundle } from "./bundle.js";
import { renderBundles, renderMachineFiles, topologyOf, writeBundles } from "./render-bundles.js";

const FIXTURES = fileURLToPath(new URL("../test/fixtures/", import.meta.url));
const GOLDEN = fileURLToPath(new URL("../test/golden/", import.meta.url));
const values = [join(FIXTURES, "three-plus-two.yaml")];

/** A bundle as one text: its Machine spec, then each file under a header. */
function bundleText(b: Bundle): string {
  return [`# machine.json`, JSON.stringify(b.machine, null, 2), ...b.files.flatMap((f) => [`# ${f.path} (${f.mode})`, f.content])].join("\n");
}

async function assertGolden(name: string, actual: string): Promise<void> {
  const file = join(GOLDEN, name);
  if (process.env["UPDATE_GOLDEN"] === "1") {
    await writeFile(file, actual);
    return;
  }
  assert.equal(actual, await readFile(file, "utf8"), `differs from test/golden/${name} (UPDATE_GOLDEN=1 rewrites it after review)`);
}

test("the chart renders one bundle per machine, matching the golden files", async () => {
  const { bundles } = await renderMachineFiles({ valueFiles: values });
  assert.deepEqual(bundles.map((b) => b.machine.name), ["cp-1", "cp-2", "cp-3", "worker-1", "worker-2"]);
  for (const b of bundles) await assertGolden(`${b.machine.name}.txt`, bundleText(b));
});

test("every control-plane bundle carries the PKI's one encryption key file (0600) that its apiserver reads; workers none", async () => {
  const dir = await mkdtemp(join(tmpdir(), "kp-enc-bundles-"));
  try {
    const pkiDir = join(dir, "pki");
    const first = await renderBundles({ valueFiles: values, pkiDir });
    const key = await readFile(join(pkiDir, "encryption-keys"), "utf8");
    assert.match(key, /^key1:[A-Za-z0-9+/]{43}=\n$/);
    await writeBundles(first.bundles, pkiDir, join(dir, "out"));
    for (const b of first.bundles) {
      const path = join(dir, "out", b.machine.name, "files", b.machine.pkiDir, "encryption-keys");
      if (b.machine.role !== "control-plane") {
        await assert.rejects(stat(path), { code: "ENOENT" });
        continue;
      }
      assert.equal((await stat(path)).mode & 0o777, 0o600);
      assert.equal(await readFile(path, "utf8"), key);
      const unit = b.files.find((f) => f.path.endsWith("kp-apiserver.service"))?.content ?? "";
      assert.ok(unit.includes(`--encryption-key-file=${b.machine.pkiDir}/encryption-keys`), `${b.machine.name}'s apiserver reads it`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("control-plane machines know every etcd member, NATS route and apiserver; workers know every apiserver", async () => {
  const { bundles } = await renderMachineFiles({ valueFiles: values });
  const file = (m: string, suffix: string): string => bundles.find((b) => b.machine.name === m)?.files.find((f) => f.path.endsWith(suffix))?.content ?? "";
  assert.match(file("cp-2", "kp-etcd.service"), /--initial-cluster=cp-1=https:\/\/10\.88\.0\.11:2380,cp-2=https:\/\/10\.88\.0\.12:2380,cp-3=https:\/\/10\.88\.0\.13:2380/);
  assert.match(file("cp-2", "nats.conf"), /nats-route:\/\/10\.88\.0\.11:6222"\n\s+"nats-route:\/\/10\.88\.0\.13:6222/);
  assert.doesNotMatch(file("cp-2", "nats.conf"), /10\.88\.0\.12:6222"\n\s+"/);
  assert.match(file("cp-3", "kp-apiserver.service"), /--watch-stream-replicas=3/);
  assert.match(file("worker-2", "kubelet.yaml"), /apiserver: 10\.88\.0\.11:6443,10\.88\.0\.12:6443,10\.88\.0\.13:6443/);
  assert.match(file("cp-1", "kp-scheduler.service"), /--apiserver=10\.88\.0\.11:6443,10\.88\.0\.12:6443,10\.88\.0\.13:6443/);
});

test("the topology names every control-plane address on the apiserver and NATS certificates, every machine address on the components', and no node: workers join by token", async () => {
  const { bundles, values: merged } = await renderMachineFiles({ valueFiles: values, set: ["cluster.apiserverSans={api.example,10.88.0.100}"] });
  const t = topologyOf(bundles, merged);
  assert.deepEqual(t.apiserverSans, { ipAddresses: ["10.88.0.11", "10.88.0.12", "10.88.0.13", "10.88.0.100"], dnsNames: ["api.example"] });
  assert.deepEqual(t.natsSans?.ipAddresses, ["10.88.0.11", "10.88.0.12", "10.88.0.13"]);
  // Components serve on their machine's address: health checks and Prometheus verify them by it.
  assert.deepEqual([...(t.componentSans?.ipAddresses ?? [])].sort(), bundles.map((b) => b.machine.address).sort());
  assert.ok(t.componentSans?.ipAddresses?.includes("10.88.0.11"));
  assert.deepEqual(t.nodes, []);
  assert.deepEqual(t.etcdMembers.map((n) => n.name), ["cp-1", "cp-2", "cp-3"]);
});

test("workers join with a bootstrap token: kubelet config with the token, CA hash and cert dir, no node certificate; the controller-manager signs CSRs", async () => {
  const { bundles } = await renderMachineFiles({ valueFiles: values });
  const worker = bundles.find((b) => b.machine.name === "worker-1")!;
  const kubelet = worker.files.find((f) => f.path.endsWith("/kubelet.yaml"))!;
  assert.equal(kubelet.mode, "0600", "the kubelet config holds the token");
  assert.match(kubelet.content, /bootstrapToken: abcdef\.0123456789abcdef/);
  assert.match(kubelet.content, /caCertHash: sha256:1{64}/);
  assert.match(kubelet.content, /certDir: \/srv\/kp\/worker-1\/var\/lib\/kubeplane\/kubelet\/pki/);
  assert.doesNotMatch(kubelet.content, /node-worker-1|clientCertFile|tlsCertFile/);
  assert.deepEqual(worker.machine.certificates.filter((c) => c.startsWith("node-")), []);
  const cp = bundles.find((b) => b.machine.name === "cp-2")!;
  assert.ok(cp.machine.certificates.includes("ca.key"));
  assert.match(cp.files.find((f) => f.path.endsWith("kp-controller-manager.service"))!.content, /--cluster-signing-cert-file=\/srv\/kp\/cp-2\/etc\/kubeplane\/pki\/ca\.crt \\\n\s+--cluster-signing-key-file=\/srv\/kp\/cp-2\/etc\/kubeplane\/pki\/ca\.key/);
  await assert.rejects(renderMachineFiles({ valueFiles: values, set: ["join.token="] }), /join\.token: workers join with a bootstrap token/);
  await assert.rejects(renderMachineFiles({ valueFiles: values, set: ["join.token=ABC"] }), /\/join\/token/);
});

test("control-plane machines take scheduled etcd snapshots with retention through their own apiserver; workers do not", async () => {
  const { bundles } = await renderMachineFiles({ valueFiles: values, set: ["backup.keep=7", "backup.schedule=*-*-* 03:00:00"] });
  const file = (m: string, suffix: string): string | undefined => bundles.find((b) => b.machine.name === m)?.files.find((f) => f.path.endsWith(suffix))?.content;
  const service = file("cp-2", "/kp-etcd-backup.service")!;
  assert.match(service, /Type=oneshot/);
  assert.match(service, /--server=10\.88\.0\.12:6443/);
  assert.match(service, /backup \\\n\s+save \\\n\s+--dir=\/srv\/kp\/cp-2\/var\/lib\/kubeplane\/backups \\\n\s+--keep=7/);
  assert.match(service, /UMask=0077/);
  const timer = file("cp-2", "/kp-etcd-backup.timer")!;
  assert.match(timer, /OnCalendar=\*-\*-\* 03:00:00\n/);
  assert.match(timer, /Persistent=true/);
  assert.match(timer, /WantedBy=timers\.target/);
  assert.equal(file("worker-1", "/kp-etcd-backup.timer"), undefined);
  const off = await renderMachineFiles({ valueFiles: values, set: ["backup.enabled=false"] });
  assert.equal(off.bundles.flatMap((b) => b.files).filter((f) => f.path.includes("kp-etcd-backup")).length, 0);
  await assert.rejects(renderMachineFiles({ valueFiles: values, set: ["backup.keep=0"] }), /\/backup\/keep/);
});

test("values that break the schema are refused, naming the path", async () => {
  await assert.rejects(renderMachineFiles({ valueFiles: values, set: ["machines[3].address=worker.example", "machines[0].role=master"] }), (err: Error) => {
    assert.match(err.message, /\/machines\/0\/role/);
    assert.match(err.message, /\/machines\/3\/address/);
    return true;
  });
});

test("every rendered unit passes systemd-analyze verify", async () => {
  const { bundles } = await renderMachineFiles({ valueFiles: values });
  const dir = await mkdtemp(join(tmpdir(), "kp-units-"));
  try {
    const units: string[] = [];
    for (const b of bundles) {
      await mkdir(join(dir, b.machine.name));
      for (const f of b.files.filter((x) => x.path.endsWith(".service") || x.path.endsWith(".timer"))) {
        const file = join(dir, b.machine.name, basename(f.path));
        await writeFile(file, f.content);
        units.push(file);
      }
    }
    assert.equal(units.length, 3 * (7 + 2) + 1 + 2 * 5, "every unit of every machine (control-plane machines: 7 services, the backup's service and timer)");
    const { stderr } = await promisify(execFile)("systemd-analyze", ["verify", ...units]);
    assert.equal(stderr, "", "systemd-analyze verify has no warnings");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
