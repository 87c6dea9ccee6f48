// `kpctl create token` against a real apiserver with ServiceAccount keys: the printed token works as `kpctl --token`.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { kpctlTlsFlags, startControlPlane, testPki, testPkiNow, type ControlPlane } from "@kubeplane/testing";
import { run } from "../src/index.js";

let cp: ControlPlane;
let dir: string;

async function kpctl(credentials: string[], ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await run([`--server=${cp.apiserver.grpcAddress}`, ...credentials, ...args], {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    stdin: (async function* () {})(),
    env: { KUBEPLANE_CONFIG: join(dir, "no-config") },
  });
  return { code, stdout, stderr };
}

const admin = (): string[] => kpctlTlsFlags();
const bearer = (token: string): string[] => [`--certificate-authority=${testPkiNow().caFile}`, `--token=${token}`];

async function ok(credentials: string[], ...args: string[]): Promise<string> {
  const r = await kpctl(credentials, ...args);
  assert.equal(r.code, 0, `kpctl ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

describe("kpctl create token", () => {
  before(async () => {
    const pki = (await testPki()).pki;
    cp = await startControlPlane({ apiserverFlags: { "service-account-key-file": pki.saPublicKeyFile, "service-account-signing-key-file": pki.saKeyFile } });
    dir = await mkdtemp(join(tmpdir(), "kpctl-token-"));
    await ok(admin(), "create", "namespace", "build");
    await ok(admin(), "create", "serviceaccount", "robot", "-n", "build");
  });
  after(async () => {
    await cp?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test("the printed token authenticates as system:serviceaccount:build:robot", async () => {
    const token = (await ok(admin(), "create", "token", "robot", "-n", "build", "--duration=15m")).trim();
    assert.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/);
    const claims = JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString()) as { exp: number; iat: number };
    assert.equal(claims.exp - claims.iat, 900);
    const whoami = await ok(bearer(token), "auth", "whoami");
    assert.match(whoami, /Username\s+system:serviceaccount:build:robot/);
    assert.match(whoami, /system:serviceaccounts:build/);
  });

  test("a token for another audience, or a made-up one, is refused; a missing account and a short duration are errors", async () => {
    const foreign = (await ok(admin(), "create", "token", "robot", "-n", "build", "--audience=https://vault.example.com")).trim();
    const refused = await kpctl(bearer(foreign), "auth", "whoami");
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /Unauthorized/);
    assert.match((await kpctl(bearer("a.b.c"), "get", "pods")).stderr, /Unauthorized/);
    const missing = await kpctl(admin(), "create", "token", "nobody", "-n", "build");
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /NotFound|not found/);
    assert.equal((await kpctl(admin(), "create", "token", "robot", "-n", "build", "--duration=5m")).code, 1);
  });
});
