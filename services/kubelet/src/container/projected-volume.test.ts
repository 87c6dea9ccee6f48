// Tests of the kube-api-access projected volume on a temporary root: token, ca.crt and namespace files written
// atomically, the token renewed by the token manager at 80 % of its lifetime, failures reported per volume.

import assert from "node:assert/strict";
import { lstat, mkdtemp, readFile, readlink, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { coreV1Volume, type coreV1Config } from "@kubeplane/api";
import { podVolumeDir } from "../paths.js";
import { VolumeSetupError } from "./errors.js";
import { TokenManager, type TokenKey } from "./token-manager.js";
import { preparePodVolumes, type VolumeContext } from "./volumes.js";
import { configMap, container, pod } from "./test-support.js";

let root = "";
before(async () => {
  root = await mkdtemp(join(tmpdir(), "kubelet-projected-"));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

/** The volume the apiserver's ServiceAccount admission injects (Kubernetes' TokenVolumeSource). */
const apiAccess = coreV1Volume.Volume.fromPartial({
  name: "kube-api-access-x7k2p",
  projected: {
    defaultMode: 0o644,
    sources: [
      { serviceAccountToken: { expirationSeconds: 3607, path: "token", audience: "" } },
      { configMap: { name: "kube-root-ca.crt", items: [{ key: "ca.crt", path: "ca.crt" }] } },
      { downwardApi: { items: [{ path: "namespace", fieldRef: { apiVersion: "v1", fieldPath: "metadata.namespace" } }] } },
    ],
  },
});
const CA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

/** A fake apiserver's TokenRequest: numbered tokens valid for the requested lifetime from `clock`. */
function tokenServer(clock: { now: number }): { requests: TokenKey[]; fetch: (key: TokenKey) => Promise<{ token: string; expirationTimestamp: Date }> } {
  const requests: TokenKey[] = [];
  return {
    requests,
    fetch: (key) => {
      requests.push(key);
      return Promise.resolve({ token: `token-${requests.length}`, expirationTimestamp: new Date(clock.now + key.expirationSeconds * 1000) });
    },
  };
}

function context(rootDir: string, manager: TokenManager, cms: Map<string, coreV1Config.ConfigMap>): VolumeContext {
  return {
    rootDir,
    getConfigMap: (_ns, name) => Promise.resolve(cms.get(name)),
    getSecret: () => Promise.resolve(undefined),
    getPvc: () => Promise.resolve(undefined),
    getPv: () => Promise.resolve(undefined),
    getServiceAccountToken: (p, audience, expirationSeconds) =>
      manager.getToken({ namespace: p.metadata!.namespace, serviceAccount: p.spec!.serviceAccountName || "default", podName: p.metadata!.name, podUid: p.metadata!.uid, audience, expirationSeconds }),
    node: { nodeName: "node-1", hostIp: "10.0.0.1" },
  };
}

test("kube-api-access: token, ca.crt and namespace appear behind ..data, 0644; the token is bound to the pod and renewed at 80 % of its life", async () => {
  const clock = { now: Date.parse("2026-01-01T00:00:00Z") };
  const server = tokenServer(clock);
  const manager = new TokenManager(server.fetch, () => clock.now);
  const ctx = context(root, manager, new Map([["kube-root-ca.crt", configMap("kube-root-ca.crt", { "ca.crt": CA })]]));
  const p = pod({ serviceAccountName: "robot", volumes: [apiAccess], containers: [container("app")] }, { namespace: "team-a", name: "web", uid: "u-web" });

  const paths = await preparePodVolumes(p, ctx);
  const dir = podVolumeDir(root, "u-web", "projected", apiAccess.name);
  assert.equal(paths.get(apiAccess.name), dir);
  assert.equal(await readFile(join(dir, "token"), "utf8"), "token-1");
  assert.equal(await readFile(join(dir, "ca.crt"), "utf8"), CA);
  assert.equal(await readFile(join(dir, "namespace"), "utf8"), "team-a");
  for (const f of ["token", "ca.crt", "namespace"]) {
    assert.ok((await lstat(join(dir, f))).isSymbolicLink(), `${f} is a link into ..data`);
    assert.equal((await stat(join(dir, f))).mode & 0o777, 0o644);
  }
  assert.deepEqual(server.requests, [{ namespace: "team-a", serviceAccount: "robot", podName: "web", podUid: "u-web", audience: "", expirationSeconds: 3607 }]);

  // Syncs before 80 % of 3607 s reuse the token: no request, no new version.
  const firstVersion = await readlink(join(dir, "..data"));
  clock.now += 2800_000;
  await preparePodVolumes(p, ctx);
  assert.equal(server.requests.length, 1);
  assert.equal(await readlink(join(dir, "..data")), firstVersion);

  // Past 80 % (2885.6 s): a new token, swapped in atomically as a new version.
  clock.now += 100_000;
  await preparePodVolumes(p, ctx);
  assert.equal(server.requests.length, 2);
  assert.equal(await readFile(join(dir, "token"), "utf8"), "token-2");
  assert.notEqual(await readlink(join(dir, "..data")), firstVersion);
  await assert.rejects(stat(join(dir, firstVersion)), { code: "ENOENT" });
});

test("a renewal the apiserver refuses keeps the still-valid token; once it expired the volume fails", async () => {
  const clock = { now: Date.parse("2026-01-01T00:00:00Z") };
  let refuse = false;
  let n = 0;
  const manager = new TokenManager((key) => {
    if (refuse) return Promise.reject(new Error(`serviceaccounts "${key.serviceAccount}" not found`));
    return Promise.resolve({ token: `t${++n}`, expirationTimestamp: new Date(clock.now + key.expirationSeconds * 1000) });
  }, () => clock.now);
  const rootDir = join(root, "refused");
  const ctx = context(rootDir, manager, new Map([["kube-root-ca.crt", configMap("kube-root-ca.crt", { "ca.crt": CA })]]));
  const p = pod({ volumes: [apiAccess] });
  const dir = podVolumeDir(rootDir, "u1", "projected", apiAccess.name);
  await preparePodVolumes(p, ctx);
  refuse = true;
  clock.now += 3000_000;
  await preparePodVolumes(p, ctx);
  assert.equal(await readFile(join(dir, "token"), "utf8"), "t1");
  clock.now += 700_000;
  await assert.rejects(preparePodVolumes(p, ctx), (err: VolumeSetupError) => err instanceof VolumeSetupError && err.volume === apiAccess.name && /not found/.test(err.message));
});

test("a missing kube-root-ca.crt fails the volume naming the ConfigMap; a kubelet without token access refuses token sources", async () => {
  const clock = { now: Date.now() };
  const manager = new TokenManager(tokenServer(clock).fetch, () => clock.now);
  const ctx = context(join(root, "no-ca"), manager, new Map());
  await assert.rejects(preparePodVolumes(pod({ volumes: [apiAccess] }), ctx), (err: VolumeSetupError) => err instanceof VolumeSetupError && /configmap "kube-root-ca.crt" not found/.test(err.message));
  const { getServiceAccountToken: _, ...withoutTokens } = context(join(root, "no-tokens"), manager, new Map([["kube-root-ca.crt", configMap("kube-root-ca.crt", { "ca.crt": CA })]]));
  await assert.rejects(preparePodVolumes(pod({ volumes: [apiAccess] }), withoutTokens), /cannot request ServiceAccount tokens/);
});
