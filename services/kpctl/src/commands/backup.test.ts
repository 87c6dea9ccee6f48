// Tests of `kpctl backup`: save checks the stream's sha256 and writes atomically, --dir/--keep retention, inspect's checks.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { apiserverV1 } from "@kubeplane/api";
import type { KpctlClient } from "../cli-io.js";
import { FakeApi, fakeIo } from "../fake-client-test-support.js";
import { run } from "../run.js";

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "kpctl-backup-test-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** An etcd-shaped snapshot: whole 512-byte blocks, then the sha256 of them (as etcd streams it). */
function snapshotBytes(fill: number): Buffer {
  const body = Buffer.alloc(4096, fill);
  return Buffer.concat([body, createHash("sha256").update(body).digest()]);
}

const metadata: apiserverV1.BackupMetadata = { revision: 42, etcdVersion: "3.4.23", created: "2026-03-01T12:00:00Z", memberCount: 3, kubeplaneVersion: "0.1.0", keyCount: 17, clusterId: "abc" };

function chunks(bytes: Buffer, sha256 = createHash("sha256").update(bytes).digest("hex")): apiserverV1.BackupChunk[] {
  const none = { data: Buffer.alloc(0), sha256: "", size: 0 };
  return [
    { ...none, metadata },
    { ...none, data: bytes.subarray(0, 1000) },
    { ...none, data: bytes.subarray(1000) },
    { ...none, sha256, size: bytes.length },
  ];
}

function io(stream: apiserverV1.BackupChunk[], now = "2026-03-01T12:00:00Z") {
  const api = new FakeApi();
  const base = fakeIo(api);
  const client = {
    ...(base.connect!({} as never) as KpctlClient),
    async *backup() {
      yield* stream;
    },
  };
  return fakeIo(api, { connect: () => client, now: () => new Date(now) });
}

test("save -o writes the snapshot and its metadata once the sha256 matches; inspect checks both hashes", async () => {
  const bytes = snapshotBytes(1);
  const file = join(dir, "one.db");
  const save = io(chunks(bytes));
  assert.equal(await run(["backup", "save", "-o", file], save), 0, save.stderr.text);
  assert.deepEqual(await readFile(file), bytes);
  const meta = JSON.parse(await readFile(`${file}.meta.json`, "utf8")) as Record<string, unknown>;
  assert.equal(meta["revision"], 42);
  assert.equal(meta["sha256"], createHash("sha256").update(bytes).digest("hex"));
  assert.match(save.stderr.text, /saved .*one\.db: 4128 bytes, sha256 [0-9a-f]{64} \(verified\), etcd revision 42, 17 keys/);

  const inspect = io([]);
  assert.equal(await run(["backup", "inspect", file], inspect), 0);
  assert.match(inspect.stdout.text, /Checksum:\s+OK\n/);
  assert.match(inspect.stdout.text, /etcd hash:\s+OK\n/);
  assert.match(inspect.stdout.text, /Revision:\s+42\n/);
  assert.match(inspect.stdout.text, /etcd members:\s+3\n/);

  const corrupt = Buffer.from(bytes);
  corrupt[10] = 9;
  await writeFile(file, corrupt);
  const again = io([]);
  assert.equal(await run(["backup", "inspect", file], again), 1);
  assert.match(again.stdout.text, /Checksum:\s+MISMATCH\n/);
  assert.match(again.stdout.text, /etcd hash:\s+MISMATCH\n/);
});

test("a stream whose sha256 does not match leaves no file behind", async () => {
  const file = join(dir, "bad.db");
  const save = io(chunks(snapshotBytes(2), "0".repeat(64)));
  assert.equal(await run(["backup", "save", "-o", file], save), 1);
  assert.match(save.stderr.text, /differs from the apiserver's/);
  assert.deepEqual((await readdir(dir)).filter((n) => n.startsWith("bad.db")), []);
});

test("save --dir --keep names snapshots by time and keeps the newest N", async () => {
  const sub = join(dir, "scheduled");
  for (const [i, now] of ["2026-03-01T00:00:00Z", "2026-03-01T12:00:00Z", "2026-03-02T00:00:00Z"].entries()) {
    const save = io(chunks(snapshotBytes(i + 3)), now);
    assert.equal(await run(["backup", "save", "--dir", sub, "--keep", "2"], save), 0, save.stderr.text);
  }
  assert.deepEqual((await readdir(sub)).sort(), [
    "kubeplane-etcd-20260301T120000Z.db",
    "kubeplane-etcd-20260301T120000Z.db.meta.json",
    "kubeplane-etcd-20260302T000000Z.db",
    "kubeplane-etcd-20260302T000000Z.db.meta.json",
  ]);
  const bad = io([]);
  assert.equal(await run(["backup", "save", "--keep", "2", "-o", join(dir, "x.db")], bad), 1);
  assert.match(bad.stderr.text, /--keep needs --dir/);
});
