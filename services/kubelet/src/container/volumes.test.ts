// Tests of pod volume set-up on a temporary root: emptyDir, hostPath types, configMap/secret updates, claims.

import assert from "node:assert/strict";
import { lstat, mkdir, mkdtemp, readFile, readdir, readlink, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { coreV1Config, coreV1Volume } from "@kubeplane/api";
import { podVolumeDir } from "../paths.js";
import { VolumeSetupError } from "./errors.js";
import { preparePodVolumes, removePodVolumes, type VolumeContext } from "./volumes.js";
import { configMap, pod, secret, volume } from "./test-support.js";

let root = "";
before(async () => {
  root = await mkdtemp(join(tmpdir(), "kubelet-volumes-"));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

interface Store {
  cms: Map<string, coreV1Config.ConfigMap>;
  secrets: Map<string, coreV1Config.Secret>;
  pvcs: Map<string, coreV1Volume.PersistentVolumeClaim>;
  pvs: Map<string, coreV1Volume.PersistentVolume>;
}

function context(rootDir: string, store: Partial<Store> = {}): VolumeContext {
  return {
    rootDir,
    getConfigMap: (_ns, name) => Promise.resolve(store.cms?.get(name)),
    getSecret: (_ns, name) => Promise.resolve(store.secrets?.get(name)),
    getPvc: (_ns, name) => Promise.resolve(store.pvcs?.get(name)),
    getPv: (name) => Promise.resolve(store.pvs?.get(name)),
  };
}

async function subRoot(name: string): Promise<string> {
  const dir = join(root, name);
  await mkdir(dir);
  return dir;
}

test("emptyDir is a directory under the pod's volumes, removed with the pod", async () => {
  const rootDir = await subRoot("empty");
  const paths = await preparePodVolumes(pod({ volumes: [volume("scratch", { emptyDir: { medium: "" } })] }), context(rootDir));
  const dir = podVolumeDir(rootDir, "u1", "empty-dir", "scratch");
  assert.equal(paths.get("scratch"), dir);
  assert.ok((await stat(dir)).isDirectory());
  await removePodVolumes(rootDir, "u1");
  await assert.rejects(stat(dir), { code: "ENOENT" });
});

test("hostPath types create what may be created and reject what is missing or of the wrong kind", async () => {
  const base = await subRoot("host");
  const dir = join(base, "made/deep");
  const file = join(base, "made.txt");
  const p = pod({
    volumes: [
      volume("d", { hostPath: { path: dir, type: "DirectoryOrCreate" } }),
      volume("f", { hostPath: { path: file, type: "FileOrCreate" } }),
      volume("plain", { hostPath: { path: join(base, "nothing-checked"), type: "" } }),
    ],
  });
  const paths = await preparePodVolumes(p, context(base));
  assert.equal(paths.get("d"), dir);
  assert.ok((await stat(dir)).isDirectory());
  assert.ok((await stat(file)).isFile());
  assert.equal(paths.get("plain"), join(base, "nothing-checked"));

  const one = (v: coreV1Volume.Volume) => preparePodVolumes(pod({ volumes: [v] }), context(base));
  await assert.rejects(one(volume("x", { hostPath: { path: join(base, "missing"), type: "Directory" } })), (err: unknown) => {
    assert.ok(err instanceof VolumeSetupError);
    assert.equal(err.volume, "x");
    assert.equal(err.message, `MountVolume.SetUp failed for volume "x" : hostPath type check failed: ${join(base, "missing")} is not a directory`);
    return true;
  });
  await assert.rejects(one(volume("x", { hostPath: { path: file, type: "Directory" } })), /is not a directory/);
  await assert.rejects(one(volume("x", { hostPath: { path: dir, type: "File" } })), /is not a file/);
  await assert.rejects(one(volume("x", { hostPath: { path: dir, type: "FileOrCreate" } })), /is not a file/);
  await assert.rejects(one(volume("x", { hostPath: { path: file, type: "Socket" } })), /is not a socket file/);
  await one(volume("x", { hostPath: { path: file, type: "File" } }));
});

test("a configMap volume projects keys as ..data symlinks and swaps updates atomically, dropping removed keys", async () => {
  const rootDir = await subRoot("cm");
  const cms = new Map([["cfg", configMap("cfg", { "app.conf": "v1", "old.conf": "gone soon" }, { "logo.bin": Buffer.from([0, 1, 2]).toString("base64") })]]);
  const p = pod({ volumes: [volume("config", { configMap: { name: "cfg", items: [], defaultMode: 0o640 } })] });
  const ctx = context(rootDir, { cms });
  const dir = (await preparePodVolumes(p, ctx)).get("config") ?? "";
  assert.equal(dir, podVolumeDir(rootDir, "u1", "configmap", "config"));
  assert.equal(await readFile(join(dir, "app.conf"), "utf8"), "v1");
  assert.deepEqual([...(await readFile(join(dir, "logo.bin")))], [0, 1, 2]);
  assert.equal(await readlink(join(dir, "app.conf")), "..data/app.conf");
  assert.equal((await stat(join(dir, "app.conf"))).mode & 0o777, 0o640);
  const firstVersion = await readlink(join(dir, "..data"));
  assert.match(firstVersion, /^\.\.\d{4}_\d\d_\d\d_\d\d_\d\d_\d\d\./);

  await preparePodVolumes(p, ctx);
  assert.equal(await readlink(join(dir, "..data")), firstVersion, "unchanged content keeps its version");

  cms.set("cfg", configMap("cfg", { "app.conf": "v2", "new.conf": "hello" }));
  await preparePodVolumes(p, ctx);
  const secondVersion = await readlink(join(dir, "..data"));
  assert.notEqual(secondVersion, firstVersion);
  assert.equal(await readFile(join(dir, "app.conf"), "utf8"), "v2");
  assert.equal(await readFile(join(dir, "new.conf"), "utf8"), "hello");
  await assert.rejects(lstat(join(dir, "old.conf")), { code: "ENOENT" });
  await assert.rejects(lstat(join(dir, "logo.bin")), { code: "ENOENT" });
  assert.deepEqual((await readdir(dir)).sort(), ["..data", secondVersion, "app.conf", "new.conf"].sort());
});

test("items select keys into paths with their own modes; a missing key fails unless optional", async () => {
  const rootDir = await subRoot("items");
  const secrets = new Map([["creds", secret("creds", { user: "admin", password: "hunter2" })]]);
  const items = [
    { key: "password", path: "auth/pw", mode: 0o400 },
    { key: "user", path: "user.txt" },
  ];
  const p = pod({ volumes: [volume("creds", { secret: { secretName: "creds", items, optional: false } })] });
  const dir = (await preparePodVolumes(p, context(rootDir, { secrets }))).get("creds") ?? "";
  assert.equal(dir, podVolumeDir(rootDir, "u1", "secret", "creds"));
  assert.equal(await readFile(join(dir, "auth/pw"), "utf8"), "hunter2");
  assert.equal((await stat(join(dir, "auth/pw"))).mode & 0o777, 0o400);
  assert.equal((await stat(join(dir, "user.txt"))).mode & 0o777, 0o644);
  assert.equal(await readlink(join(dir, "auth")), "..data/auth");
  await assert.rejects(lstat(join(dir, "password")), { code: "ENOENT" });

  const bad = pod({ volumes: [volume("creds", { secret: { secretName: "creds", items: [{ key: "nope", path: "n" }] } })] });
  await assert.rejects(preparePodVolumes(bad, context(rootDir, { secrets })), {
    message: 'MountVolume.SetUp failed for volume "creds" : references non-existent secret key: nope',
  });
  const optional = pod({ volumes: [volume("creds", { secret: { secretName: "creds", items: [{ key: "nope", path: "n" }], optional: true } })] });
  await preparePodVolumes(optional, context(rootDir, { secrets }));
});

test("a missing configMap or secret fails unless optional, which gives an empty volume", async () => {
  const rootDir = await subRoot("missing");
  await assert.rejects(preparePodVolumes(pod({ volumes: [volume("c", { configMap: { name: "app-cfg", items: [] } })] }), context(rootDir)), {
    name: "VolumeSetupError",
    message: 'MountVolume.SetUp failed for volume "c" : configmap "app-cfg" not found',
  });
  await assert.rejects(preparePodVolumes(pod({ volumes: [volume("s", { secret: { secretName: "tls", items: [] } })] }), context(rootDir)), {
    message: 'MountVolume.SetUp failed for volume "s" : secret "tls" not found',
  });
  const paths = await preparePodVolumes(pod({ volumes: [volume("c", { configMap: { name: "app-cfg", items: [], optional: true } })] }), context(rootDir));
  assert.deepEqual((await readdir(paths.get("c") ?? "")).filter((e) => !e.startsWith("..")), []);
});

test("a claim mounts its bound PV's hostPath or local path, and an unbound claim fails", async () => {
  const base = await subRoot("pvc");
  const data = join(base, "pv-data");
  await writeFile(join(base, "marker"), "");
  const pvcs = new Map<string, coreV1Volume.PersistentVolumeClaim>([
    ["bound", { spec: { volumeName: "pv1" }, status: { phase: "Bound" } } as coreV1Volume.PersistentVolumeClaim],
    ["local", { spec: { volumeName: "pv2" }, status: { phase: "Bound" } } as coreV1Volume.PersistentVolumeClaim],
    ["pending", { spec: { volumeName: "" }, status: { phase: "Pending" } } as coreV1Volume.PersistentVolumeClaim],
  ]);
  const pvs = new Map<string, coreV1Volume.PersistentVolume>([
    ["pv1", { spec: { hostPath: { path: data, type: "DirectoryOrCreate" } } } as coreV1Volume.PersistentVolume],
    ["pv2", { spec: { local: { path: base } } } as coreV1Volume.PersistentVolume],
  ]);
  const claim = (name: string) => volume(name, { persistentVolumeClaim: { claimName: name, readOnly: false } });
  const paths = await preparePodVolumes(pod({ volumes: [claim("bound"), claim("local")] }), context(base, { pvcs, pvs }));
  assert.equal(paths.get("bound"), data);
  assert.ok((await stat(data)).isDirectory());
  assert.equal(paths.get("local"), base);
  await assert.rejects(preparePodVolumes(pod({ volumes: [claim("pending")] }), context(base, { pvcs, pvs })), {
    message: 'MountVolume.SetUp failed for volume "pending" : PVC default/pending has non-bound phase ("Pending") or empty pvc.Spec.VolumeName ("")',
  });
  await assert.rejects(preparePodVolumes(pod({ volumes: [claim("absent")] }), context(base, { pvcs, pvs })), /persistentvolumeclaim "absent" not found/);
});
