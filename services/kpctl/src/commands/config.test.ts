// Tests of `kpctl config …` over a real file, and of the credentials a run hands the client.
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import type { ClientOptions } from "@kubeplane/client";
import { parse } from "yaml";
import { FakeApi, fakeIo } from "../fake-client-test-support.js";
import { run } from "../run.js";

const root = await mkdtemp(join(tmpdir(), "kpctl-config-cmd-"));
after(() => rm(root, { recursive: true, force: true }));
let n = 0;

/** A run over its own config file, recording the options the client was built with. */
function setup(): { path: string; kpctl: (...argv: string[]) => Promise<{ code: number; out: string; err: string; opts?: ClientOptions }> } {
  const path = join(root, `config-${++n}`);
  return {
    path,
    kpctl: async (...argv) => {
      let opts: ClientOptions | undefined;
      const base = fakeIo(new FakeApi());
      const io = fakeIo(new FakeApi(), {
        env: { KUBEPLANE_CONFIG: path },
        connect: (o) => {
          opts = o;
          return base.connect!(o);
        },
      });
      const code = await run(argv, io);
      return { code, out: io.stdout.text, err: io.stderr.text, ...(opts ? { opts } : {}) };
    },
  };
}

test("set-cluster, set-credentials and set-context build a kubeconfig that the next run connects with", async () => {
  const { path, kpctl } = setup();
  assert.deepEqual(await kpctl("config", "set-cluster", "local", "--server=127.0.0.1:7443", "--certificate-authority=/pki/ca.crt"), {
    code: 0, out: 'Cluster "local" set.\n', err: "",
  });
  assert.equal((await kpctl("config", "set-credentials", "admin", "--client-certificate=/pki/admin.crt", "--client-key=/pki/admin.key")).out, 'User "admin" set.\n');
  assert.equal((await kpctl("config", "set-context", "local", "--cluster=local", "--user=admin", "--namespace=team-a")).out, 'Context "local" created.\n');
  assert.equal((await kpctl("config", "use-context", "local")).out, 'Switched to context "local".\n');

  const doc = parse(await readFile(path, "utf8")) as Record<string, unknown>;
  assert.deepEqual(doc, {
    apiVersion: "v1",
    clusters: [{ name: "local", cluster: { server: "127.0.0.1:7443", "certificate-authority": "/pki/ca.crt" } }],
    contexts: [{ name: "local", context: { cluster: "local", user: "admin", namespace: "team-a" } }],
    "current-context": "local",
    kind: "Config",
    preferences: {},
    users: [{ name: "admin", user: { "client-certificate": "/pki/admin.crt", "client-key": "/pki/admin.key" } }],
  });

  const r = await kpctl("version");
  assert.equal(r.code, 0, r.err);
  assert.equal(r.opts?.server, "127.0.0.1:7443");
  assert.equal(r.opts?.caFile, "/pki/ca.crt");
  assert.equal(r.opts?.certFile, "/pki/admin.crt");
  assert.equal(r.opts?.keyFile, "/pki/admin.key");
  assert.equal(r.opts?.token, undefined);
});

test("a token user: set-credentials --token, and --token on the command line wins", async () => {
  const { kpctl } = setup();
  await kpctl("config", "set-cluster", "c", "--server=s:1", "--certificate-authority=/ca.crt");
  await kpctl("config", "set-credentials", "sa", "--token=from-file");
  await kpctl("config", "set-context", "c", "--cluster=c", "--user=sa");
  await kpctl("config", "use-context", "c");
  assert.equal((await kpctl("version")).opts?.token, "from-file");
  assert.equal((await kpctl("version", "--token", "from-flag")).opts?.token, "from-flag");
  const flags = await kpctl("version", "--client-certificate=/x.crt", "--client-key=/x.key", "--certificate-authority=/y.crt");
  assert.deepEqual([flags.opts?.certFile, flags.opts?.keyFile, flags.opts?.caFile], ["/x.crt", "/x.key", "/y.crt"]);
});

test("--embed-certs stores the files' contents; view redacts them and tokens unless --raw; the client gets credentials", async () => {
  const { path, kpctl } = setup();
  const { initPki, ensureClusterPki } = await import("@kubeplane/pki");
  const pkiDir = join(root, "pki");
  await initPki(pkiDir);
  await ensureClusterPki(pkiDir, { nodes: [], etcdMembers: [], apiserverSans: {} });
  await kpctl("config", "set-cluster", "local", "--server=127.0.0.1:6443", `--certificate-authority=${pkiDir}/ca.crt`, "--embed-certs");
  await kpctl("config", "set-credentials", "admin", `--client-certificate=${pkiDir}/admin.crt`, `--client-key=${pkiDir}/admin.key`, "--embed-certs", "--token=secret");
  await kpctl("config", "set-context", "local", "--cluster=local", "--user=admin");
  await kpctl("config", "use-context", "local");

  const doc = parse(await readFile(path, "utf8")) as { clusters: Array<{ cluster: Record<string, string> }>; users: Array<{ user: Record<string, string> }> };
  assert.equal(Buffer.from(doc.clusters[0]!.cluster["certificate-authority-data"]!, "base64").toString(), await readFile(join(pkiDir, "ca.crt"), "utf8"));
  assert.equal(doc.clusters[0]!.cluster["certificate-authority"], undefined);
  assert.equal(Buffer.from(doc.users[0]!.user["client-key-data"]!, "base64").toString(), await readFile(join(pkiDir, "admin.key"), "utf8"));

  const view = await kpctl("config", "view");
  assert.match(view.out, /certificate-authority-data: DATA\+OMITTED/);
  assert.match(view.out, /client-key-data: DATA\+OMITTED/);
  assert.match(view.out, /token: REDACTED/);
  assert.doesNotMatch(view.out, /secret/);
  const raw = await kpctl("config", "view", "--raw", "-o", "json");
  assert.equal((JSON.parse(raw.out) as { users: Array<{ user: { token: string } }> }).users[0]?.user.token, "secret");

  const r = await kpctl("version");
  assert.equal(r.code, 0, r.err);
  assert.ok(r.opts?.credentials, "inline data becomes ready channel credentials");
  assert.equal(r.opts?.caFile, undefined);
  assert.equal(r.opts?.token, "secret");
  assert.equal((await kpctl("config", "set-credentials", "x", "--client-key=/nonexistent", "--embed-certs")).code, 1);
});

test("view --kubeconfig: the current context only, the REST API as server, kpctl's extensions dropped; --raw and --flatten as kubectl's", async () => {
  const { kpctl } = setup();
  const caFile = join(root, "kc-ca.crt");
  await writeFile(caFile, "CA PEM");
  await kpctl("config", "set-cluster", "prod", "--server=10.0.0.1:6443", "--rest-server=https://api.example:7444", `--certificate-authority=${caFile}`, "--scheduler=10.0.0.1:10259");
  await kpctl("config", "set-cluster", "dev", "--server=[fd00::1]:6443,[fd00::2]:6443");
  await kpctl("config", "set-credentials", "admin", "--token=secret");
  await kpctl("config", "set-credentials", "other", "--token=other");
  await kpctl("config", "set-context", "prod", "--cluster=prod", "--user=admin", "--namespace=team-a");
  await kpctl("config", "set-context", "dev", "--cluster=dev", "--user=other");
  await kpctl("config", "use-context", "prod");

  const json = async (...args: string[]): Promise<Record<string, unknown>> => {
    const r = await kpctl("config", "view", "-o", "json", ...args);
    assert.equal(r.code, 0, r.err);
    return JSON.parse(r.out) as Record<string, unknown>;
  };
  assert.deepEqual(await json("--kubeconfig", "--raw"), {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "prod", cluster: { server: "https://api.example:7444", "certificate-authority": caFile } }],
    contexts: [{ name: "prod", context: { cluster: "prod", user: "admin", namespace: "team-a" } }],
    "current-context": "prod",
    preferences: {},
    users: [{ name: "admin", user: { token: "secret" } }],
  });
  assert.equal(((await json("--kubeconfig")).users as Array<{ user: { token: string } }>)[0]!.user.token, "REDACTED", "without --raw, secrets are redacted as kubectl's view");
  const flat = await json("--kubeconfig", "--raw", "--flatten");
  assert.deepEqual((flat.clusters as Array<{ cluster: unknown }>)[0]!.cluster, { server: "https://api.example:7444", "certificate-authority-data": Buffer.from("CA PEM").toString("base64") });
  // --minify keeps kpctl's gRPC server and extensions; plain view keeps every context.
  const mini = await json("--minify", "--raw");
  assert.deepEqual((mini.clusters as Array<{ name: string; cluster: { server: string } }>).map((c) => [c.name, c.cluster.server]), [["prod", "10.0.0.1:6443"]]);
  assert.equal(((await json("--raw")).contexts as unknown[]).length, 2);

  // Without --rest-server the URL is the gRPC server's host on the REST API's default port (IPv6 kept bracketed).
  await kpctl("config", "use-context", "dev");
  assert.deepEqual(((await json("--kubeconfig", "--raw")).clusters as unknown[])[0], { name: "dev", cluster: { server: "https://[fd00::1]:6444" } });
  await kpctl("config", "set-context", "empty", "--cluster=nowhere");
  await kpctl("config", "use-context", "empty");
  const refused = await kpctl("config", "view", "--kubeconfig");
  assert.equal(refused.code, 1);
  assert.match(refused.err, /cluster "nowhere" of context "empty" does not exist/);
  await kpctl("config", "set-cluster", "nowhere", "--certificate-authority=/ca.crt");
  assert.match((await kpctl("config", "view", "--kubeconfig")).err, /cluster "nowhere" has no server: set one with kpctl config set-cluster nowhere --rest-server=/);
});

test("get-contexts, get-clusters, get-users and current-context list the file as kubectl does", async () => {
  const { kpctl } = setup();
  await kpctl("config", "set-cluster", "a", "--server=a:1");
  await kpctl("config", "set-credentials", "u");
  await kpctl("config", "set-context", "one", "--cluster=a", "--user=u", "-n", "ns1");
  await kpctl("config", "set-context", "two", "--cluster=a");
  await kpctl("config", "use-context", "two");
  assert.equal(
    (await kpctl("config", "get-contexts")).out,
    "CURRENT   NAME   CLUSTER   AUTHINFO   NAMESPACE\n          one    a         u          ns1\n*         two    a                    \n",
  );
  assert.equal((await kpctl("config", "get-clusters")).out, "NAME   SERVER\na      a:1\n");
  assert.equal((await kpctl("config", "get-users")).out, "NAME\nu\n");
  assert.equal((await kpctl("config", "current-context")).out, "two\n");
  assert.equal((await kpctl("config", "set-context", "--current", "--namespace=ns2")).out, 'Context "two" modified.\n');
  assert.equal((await kpctl("config", "use-context", "three")).err, 'error: no context exists with the name: "three"\n');
});

test("set-context's older flags still work, creating a cluster and user named after the context", async () => {
  const { path, kpctl } = setup();
  await kpctl("config", "set-context", "dev", "--server=10.0.0.1:6443", "--ca-file=/ca.pem", "--cert-file=/c.crt", "--key-file=/c.key", "--namespace=team-a");
  await kpctl("config", "use-context", "dev");
  const doc = parse(await readFile(path, "utf8")) as Record<string, unknown>;
  assert.deepEqual(doc.clusters, [{ name: "dev", cluster: { server: "10.0.0.1:6443", "certificate-authority": "/ca.pem" } }]);
  assert.deepEqual(doc.users, [{ name: "dev", user: { "client-certificate": "/c.crt", "client-key": "/c.key" } }]);
  const r = await kpctl("version");
  assert.deepEqual([r.opts?.server, r.opts?.caFile, r.opts?.certFile, r.opts?.keyFile], ["10.0.0.1:6443", "/ca.pem", "/c.crt", "/c.key"]);
});

test("an older flat file keeps working and is rewritten as a kubeconfig on the next change", async () => {
  const { path, kpctl } = setup();
  await writeFile(path, "currentContext: dev\ncontexts:\n  - name: dev\n    server: 10.0.0.9:6443\n    namespace: team-b\n");
  const r = await kpctl("version");
  assert.equal(r.opts?.server, "10.0.0.9:6443");
  await kpctl("config", "set-context", "--current", "--namespace=team-c");
  const doc = parse(await readFile(path, "utf8")) as Record<string, unknown>;
  assert.equal(doc.kind, "Config");
  assert.deepEqual(doc.contexts, [{ name: "dev", context: { cluster: "dev", namespace: "team-c" } }]);
  assert.equal((await kpctl("version")).opts?.server, "10.0.0.9:6443");
});
