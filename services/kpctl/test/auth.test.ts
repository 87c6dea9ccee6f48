// kpctl --as / --as-group and `auth can-i` / `auth whoami` against a real apiserver with RBAC: Kubernetes' done-when of issue 14.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { kpctlTlsFlags, startControlPlane, waitFor, type ControlPlane } from "@kubeplane/testing";
import { run } from "../src/index.js";

let cp: ControlPlane;
let dir: string;

async function kpctl(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await run([`--server=${cp.apiserver.grpcAddress}`, ...kpctlTlsFlags(), ...args], {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    stdin: (async function* () {})(),
    env: { KUBEPLANE_CONFIG: join(dir, "no-config") },
  });
  return { code, stdout, stderr };
}

async function ok(...args: string[]): Promise<string> {
  const r = await kpctl(...args);
  assert.equal(r.code, 0, `kpctl ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

describe("kpctl auth and impersonation", () => {
  before(async () => {
    cp = await startControlPlane();
    dir = await mkdtemp(join(tmpdir(), "kpctl-auth-"));
    await ok("create", "namespace", "team");
    await ok("run", "web", "--image=busybox", "-n", "team");
  });
  after(async () => {
    await cp?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test("alice may not read kube-system's secrets: Forbidden naming user, verb and resource; can-i says no", async () => {
    const r = await kpctl("--as=alice", "get", "secrets", "-n", "kube-system");
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim(), 'Error from server (Forbidden): secrets is forbidden: User "alice" cannot list resource "secrets" in API group "" in the namespace "kube-system"');
    const can = await kpctl("auth", "can-i", "list", "secrets", "-n", "kube-system", "--as=alice");
    assert.deepEqual([can.code, can.stdout], [1, "no\n"]);
  });

  test("after a RoleBinding of view in team, alice gets pods there, may not delete one, and can-i agrees", async () => {
    assert.equal((await kpctl("--as=alice", "get", "pods", "-n", "team")).code, 1);
    assert.equal(await ok("create", "rolebinding", "alice-view", "--clusterrole=view", "--user=alice", "-n", "team"), "rolebinding.rbac.authorization.k8s.io/alice-view created\n");
    await waitFor(async () => (await kpctl("--as=alice", "get", "pods", "-n", "team")).code === 0, { timeoutMs: 5000 });
    assert.match(await ok("--as=alice", "get", "pods", "-n", "team"), /^NAME\s+READY\s+STATUS[\s\S]*\nweb\s/);
    const del = await kpctl("--as=alice", "delete", "pod", "web", "-n", "team");
    assert.equal(del.code, 1);
    assert.match(del.stderr, /Error from server \(Forbidden\): pods "web" is forbidden: User "alice" cannot delete resource "pods" in API group "" in the namespace "team"/);
    assert.equal(await ok("auth", "can-i", "get", "pods", "-n", "team", "--as=alice"), "yes\n");
    assert.equal(await ok("auth", "can-i", "list", "pods", "-n", "team", "--as=alice"), "yes\n");
    const no = await kpctl("auth", "can-i", "delete", "pods", "web", "-n", "team", "--as=alice");
    assert.deepEqual([no.code, no.stdout], [1, "no\n"]);
    assert.equal((await kpctl("auth", "can-i", "-q", "delete", "pods", "-n", "team")).code, 0); // the admin may
    assert.equal(await ok("auth", "can-i", "get", "pods/web", "-n", "team", "--as=alice"), "yes\n");
    assert.equal((await kpctl("auth", "can-i", "get", "pods", "web", "--subresource=exec", "-n", "team", "--as=alice")).stdout, "no\n");
  });

  test("create role and clusterrolebinding build Kubernetes' objects", async () => {
    const role = JSON.parse(await ok("create", "role", "pod-reader", "--verb=get,list", "--resource=pods,deployments.apps,pods/log", "--resource-name=web", "-n", "team", "--dry-run=client", "-o", "json")) as { rules: unknown };
    assert.deepEqual(role.rules, [
      { verbs: ["get", "list"], apiGroups: [""], resources: ["pods", "pods/log"], resourceNames: ["web"] },
      { verbs: ["get", "list"], apiGroups: ["apps"], resources: ["deployments"], resourceNames: ["web"] },
    ]);
    await ok("create", "clusterrole", "node-reader", "--verb=get", "--resource=nodes");
    await ok("create", "clusterrolebinding", "bob-nodes", "--clusterrole=node-reader", "--user=bob");
    await waitFor(async () => (await kpctl("auth", "can-i", "get", "nodes", "--as=bob")).code === 0, { timeoutMs: 5000 });
    assert.equal((await kpctl("auth", "can-i", "list", "nodes", "--as=bob")).code, 1);
  });

  test("--as-group adds groups; auth whoami shows the user the apiserver sees", async () => {
    const out = await ok("auth", "whoami", "--as=bob", "--as-group=devs", "--as-group=ops");
    assert.match(out, /Username\s+bob\n/);
    assert.match(out, /Groups\s+\[devs ops system:authenticated\]/);
    assert.match(await ok("auth", "whoami"), /Username\s+kubernetes-admin\nGroups\s+\[system:masters system:authenticated\]/);
    const r = await kpctl("get", "pods", "--as-group=devs");
    assert.equal(r.code, 1);
    assert.match(r.stderr, /--as-group needs --as/);
  });
});
