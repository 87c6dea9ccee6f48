// Key rotation end to end on real etcd and apiserver processes: write with key A, read with B,A, `kpctl encryption rewrite`, read with B only.
// Apiservers are stateless, so the three key files of the procedure's restarts run as three apiservers started at once (one start's wait).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { after, before, test } from "node:test";
import { etcdClientTls, kpctlTlsFlags, startEtcd, startNats, startServiceProcess, type EtcdCluster, type NatsServer, type ServiceProcess } from "@kubeplane/testing";
import { run } from "../src/index.js";

const apiserverMain = fileURLToPath(new URL("../../apiserver/src/main.ts", import.meta.url));
const keyA = `a:${randomBytes(32).toString("base64")}`;
const keyB = `b:${randomBytes(32).toString("base64")}`;
const names = ["s1", "s2", "s3"];

let etcd: EtcdCluster;
let nats: NatsServer;
/** Apiservers by key file: A only (before the rotation), B then A (during), B only (after). */
let onlyA: ServiceProcess, bThenA: ServiceProcess, onlyB: ServiceProcess;
let dir: string;

/** An apiserver with these key lines in its key file. */
async function apiserverWith(...lines: string[]): Promise<ServiceProcess> {
  const file = join(dir, `keys-${lines.map((l) => l.split(":")[0]).join("")}`);
  await writeFile(file, `${lines.join("\n")}\n`, { mode: 0o600 });
  return startServiceProcess({ entry: apiserverMain, flags: { "etcd-endpoints": etcd.endpoints.join(","), "nats-url": nats.url, "encryption-key-file": file } });
}

before(async () => {
  [etcd, nats] = await Promise.all([startEtcd(), startNats()]);
  dir = await mkdtemp(join(tmpdir(), "kpctl-rotation-"));
  [onlyA, bThenA, onlyB] = await Promise.all([apiserverWith(keyA), apiserverWith(keyB, keyA), apiserverWith(keyB)]);
});
after(async () => {
  await Promise.allSettled([onlyA, bThenA, onlyB].map((a) => a?.kill()));
  await Promise.allSettled([etcd?.stop(), nats?.stop()]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function kpctl(apiserver: ServiceProcess, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await run([...args, `--server=${apiserver.grpcAddress}`, ...kpctlTlsFlags()], {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    stdin: (async function* () {})(),
    env: { KUBEPLANE_CONFIG: join(dir, "no-config") },
  });
  return { code, stdout, stderr };
}

/** The raw bytes etcd holds for a Secret, read with etcdctl (the apiserver's etcd client certificate). */
async function storedPrefix(name: string): Promise<string> {
  const tls = etcdClientTls();
  const { stdout } = await promisify(execFile)(
    "etcdctl",
    [`--endpoints=${etcd.endpoints.join(",")}`, `--cacert=${tls.caFile}`, `--cert=${tls.certFile}`, `--key=${tls.keyFile}`, "get", `/registry/core/secrets/default/${name}`, "-w", "json"],
    { env: { ...process.env, ETCDCTL_API: "3" } },
  );
  const kv = (JSON.parse(stdout) as { kvs?: { value: string }[] }).kvs?.[0];
  assert.ok(kv, `secret ${name} is in etcd`);
  const value = Buffer.from(kv.value, "base64");
  assert.ok(!value.includes(Buffer.from(`value-of-${name}`)), "no plaintext in etcd");
  return value.subarray(0, "k8s:enc:aesgcm:v1:a:".length).toString("latin1");
}

async function passwordOf(apiserver: ServiceProcess, name: string): Promise<string> {
  const got = await kpctl(apiserver, "get", "secret", name, "-o", "jsonpath={.data.password}");
  assert.equal(got.code, 0, got.stderr);
  return Buffer.from(got.stdout, "base64").toString();
}

test("rotation: written with A; with B,A the old Secrets read and `kpctl encryption rewrite` moves them to B; then B alone reads everything", async () => {
  const manifest = join(dir, "secrets.yaml");
  await writeFile(
    manifest,
    names.map((n) => `apiVersion: v1\nkind: Secret\nmetadata: {name: ${n}, namespace: default}\ndata: {password: ${Buffer.from(`value-of-${n}`).toString("base64")}}\n`).join("---\n"),
  );
  const applied = await kpctl(onlyA, "apply", "-f", manifest);
  assert.equal(applied.code, 0, applied.stderr);
  for (const n of names) assert.equal(await storedPrefix(n), "k8s:enc:aesgcm:v1:a:");

  assert.equal(await passwordOf(bThenA, "s1"), "value-of-s1", "a Secret of the old key still reads");
  const early = await kpctl(onlyB, "get", "secret", "s1");
  assert.notEqual(early.code, 0, "an apiserver without the old key cannot read it yet");
  assert.match(early.stderr, /Internal error occurred: the secrets value at \/registry\/core\/secrets\/default\/s1 is encrypted with key "a", which is not in this apiserver's encryption configuration/);

  const rewritten = await kpctl(bThenA, "encryption", "rewrite", "--chunk-size", "2");
  assert.equal(rewritten.code, 0, rewritten.stderr);
  assert.match(rewritten.stdout, /^secrets: [3-9]\d* rewritten, \d+ already current, 0 deleted meanwhile, 0 failed$/m);
  assert.match(rewritten.stderr, /secrets: 2 processed .*, continuing/, "progress per page on stderr");
  for (const n of names) assert.equal(await storedPrefix(n), "k8s:enc:aesgcm:v1:b:");
  const again = await kpctl(bThenA, "encryption", "rewrite");
  assert.match(again.stdout, /^secrets: 0 rewritten, [3-9]\d* already current/m, "a second run writes nothing");

  for (const n of names) assert.equal(await passwordOf(onlyB, n), `value-of-${n}`);
  const all = await kpctl(onlyB, "get", "secrets", "-A");
  assert.equal(all.code, 0, all.stderr);
});
