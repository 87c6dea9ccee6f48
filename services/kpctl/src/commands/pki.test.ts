// Tests of `kpctl pki init|issue|renew|list` through run() over a real PKI directory.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { readCertificate } from "@kubeplane/pki";
import { FakeApi, fakeIo } from "../fake-client-test-support.js";
import { run } from "../run.js";
import { machines, parseSpan, pkiDir } from "./pki.js";

const root = await mkdtemp(join(tmpdir(), "kpctl-pki-"));
after(() => rm(root, { recursive: true, force: true }));

function io(dir: string): ReturnType<typeof fakeIo> {
  return fakeIo(new FakeApi(), {
    env: { KUBEPLANE_CONFIG: "/nonexistent/kpctl-test-config", KUBEPLANE_PKI_DIR: dir },
    now: () => new Date(),
  });
}

test("pki init creates the CAs and the cluster's certificates, then keeps them", async () => {
  const dir = join(root, "init");
  let out = io(dir);
  const argv = ["pki", "init", "--nodes", "node-1=127.0.0.1,node-2=127.0.0.2", "--etcd-members", "m1=127.0.0.1", "--apiserver-san", "api.example,10.9.9.9"];
  assert.equal(await run(argv, out), 0, out.stderr.text);
  assert.match(out.stdout.text, /^\[pki\] Using directory .*init\n/);
  assert.match(out.stdout.text, /\[pki\] Generated ca\n\[pki\] Generated etcd-ca\n\[pki\] Generated sa\n/);
  assert.match(out.stdout.text, /\[pki\] Issued node-node-2 \(missing\)\n/);
  assert.match(out.stdout.text, /\[pki\] Issued etcd-m1 \(missing\)\n/);
  assert.match(out.stdout.text, /\[pki\] CA certificate hash: sha256:[0-9a-f]{64}\n$/);
  const api = readCertificate(await readFile(join(dir, "apiserver.crt"), "utf8"));
  assert.ok(api.dnsNames.includes("api.example"));
  assert.ok(api.ipAddresses.includes("10.9.9.9"));
  assert.deepEqual(readCertificate(await readFile(join(dir, "node-node-2.crt"), "utf8")).ipAddresses, ["127.0.0.2", "127.0.0.1", "::1"]);
  assert.equal((await stat(dir)).mode & 0o777, 0o700);

  out = io(dir);
  assert.equal(await run(argv, out), 0, out.stderr.text);
  assert.doesNotMatch(out.stdout.text, /Generated|Issued/);
  assert.match(out.stdout.text, /\[pki\] Kept ca\n/);
  assert.match(out.stdout.text, /\[pki\] Kept node-node-1\n/);
});

test("pki issue writes a leaf with the flags' subject, SANs, usages and CA; bad flags are usage errors", async () => {
  const dir = join(root, "issue");
  assert.equal(await run(["pki", "init"], io(dir)), 0);
  const out = io(dir);
  const argv = ["pki", "issue", "jane", "--cn", "jane", "--o", "dev,ops", "--dns", "jane.example", "--ip", "10.1.1.1", "--usage", "client,server", "--ca", "etcd", "--days", "30"];
  assert.equal(await run(argv, out), 0, out.stderr.text);
  assert.match(out.stdout.text, /^certificate "jane" issued: .*jane\.crt, .*jane\.key \(expires in (29|30)d\)\n$/);
  const cert = readCertificate(await readFile(join(dir, "jane.crt"), "utf8"));
  assert.equal(cert.commonName, "jane");
  assert.deepEqual(cert.organizations, ["dev", "ops"]);
  assert.deepEqual(cert.dnsNames, ["jane.example"]);
  assert.deepEqual(cert.ipAddresses, ["10.1.1.1"]);
  assert.deepEqual(cert.usages, ["server", "client"]);
  execFileSync("openssl", ["verify", "-CAfile", join(dir, "etcd-ca.crt"), join(dir, "jane.crt")], { stdio: "pipe" });

  for (const [bad, message] of [
    [["pki", "issue", "x", "--usage", "client"], /--cn is required/],
    [["pki", "issue", "x", "--cn", "x"], /--usage is required/],
    [["pki", "issue", "x", "--cn", "x", "--usage", "peer"], /"peer" is not server or client/],
    [["pki", "issue", "x", "--cn", "x", "--usage", "client", "--ca", "front-proxy"], /not cluster or etcd/],
    [["pki", "issue", "--cn", "x", "--usage", "client"], /use: kpctl pki issue NAME/],
  ] as const) {
    const o = io(dir);
    assert.equal(await run([...bad], o), 1);
    assert.match(o.stderr.text, message);
  }
  const none = io(join(root, "nothing"));
  assert.equal(await run(["pki", "issue", "x", "--cn", "x", "--usage", "client"], none), 1);
  assert.match(none.stderr.text, /^error: no usable PKI in .*nothing/);
});

test("pki renew NAME re-keys one certificate; --all --within renews only those expiring soon", async () => {
  const dir = join(root, "renew");
  assert.equal(await run(["pki", "init"], io(dir)), 0);
  assert.equal(await run(["pki", "issue", "soon", "--cn", "soon", "--usage", "client", "--days", "2"], io(dir)), 0);
  const keyBefore = await readFile(join(dir, "admin.key"), "utf8");
  let out = io(dir);
  assert.equal(await run(["pki", "renew", "admin"], out), 0, out.stderr.text);
  assert.match(out.stdout.text, /^certificate "admin" renewed \(expires in 36[45]d\)\n$/);
  assert.notEqual(await readFile(join(dir, "admin.key"), "utf8"), keyBefore);

  const soonBefore = await readFile(join(dir, "soon.crt"), "utf8");
  const schedulerBefore = await readFile(join(dir, "scheduler.crt"), "utf8");
  out = io(dir);
  assert.equal(await run(["pki", "renew", "--all", "--within", "30d"], out), 0, out.stderr.text);
  assert.match(out.stdout.text, /certificate "soon" renewed \(expires in (47h|2d)\)\n/);
  assert.match(out.stdout.text, /certificate "scheduler" kept \(expires in 36[45]d\)\n/);
  assert.doesNotMatch(out.stdout.text, /"ca"|"etcd-ca"/);
  assert.notEqual(await readFile(join(dir, "soon.crt"), "utf8"), soonBefore);
  assert.equal(await readFile(join(dir, "scheduler.crt"), "utf8"), schedulerBefore);

  for (const bad of [["pki", "renew"], ["pki", "renew", "a", "--all"], ["pki", "renew", "--all", "--within", "soon"]]) {
    const o = io(dir);
    assert.equal(await run(bad, o), 1);
    assert.match(o.stderr.text, /^error: /);
  }
  out = io(dir);
  assert.equal(await run(["pki", "renew", "ghost"], out), 1);
  assert.equal(out.stderr.text, 'error: no certificate named "ghost"\n');
});

test("pki list prints NAME CN ISSUER USAGES EXPIRES, and -o json the full facts", async () => {
  const dir = join(root, "list");
  assert.equal(await run(["pki", "init", "--nodes", "node-1"], io(dir)), 0);
  let out = io(dir);
  assert.equal(await run(["pki", "list"], out), 0, out.stderr.text);
  const lines = out.stdout.text.trimEnd().split("\n");
  assert.match(lines[0] ?? "", /^NAME\s+CN\s+ISSUER\s+USAGES\s+EXPIRES$/);
  assert.ok(lines.some((l) => /^admin\s+kubernetes-admin\s+cluster\s+client\s+36[45]d$/.test(l)), out.stdout.text);
  assert.ok(lines.some((l) => /^apiserver-etcd-client\s+kube-apiserver-etcd-client\s+etcd\s+client\s+36[45]d$/.test(l)));
  assert.ok(lines.some((l) => /^ca\s+kubeplane-ca\s+cluster\s+ca\s+(9y|10y)/.test(l)));
  assert.ok(lines.some((l) => /^node-node-1\s+system:node:node-1\s+cluster\s+server,client\s+36[45]d$/.test(l)));

  out = io(dir);
  assert.equal(await run(["pki", "list", "-o", "json"], out), 0);
  const certs = JSON.parse(out.stdout.text) as Array<{ name: string; issuer: string; notAfter: string; isCa: boolean; file: string }>;
  const admin = certs.find((c) => c.name === "admin");
  assert.equal(admin?.issuer, "cluster");
  assert.equal(admin?.file, join(dir, "admin.crt"));
  assert.ok(Date.parse(admin?.notAfter ?? "") > Date.now());
  assert.equal(certs.find((c) => c.name === "etcd-ca")?.isCa, true);
});

test("the directory: --dir beats $KUBEPLANE_PKI_DIR beats ~/.kubeplane/pki; machines and spans parse", () => {
  assert.equal(pkiDir("/x", { KUBEPLANE_PKI_DIR: "/env", HOME: "/home/op" }), "/x");
  assert.equal(pkiDir(undefined, { KUBEPLANE_PKI_DIR: "/env", HOME: "/home/op" }), "/env");
  assert.equal(pkiDir(undefined, { HOME: "/home/op" }), "/home/op/.kubeplane/pki");
  assert.deepEqual(machines(["n1=10.0.0.1", "n2", "n1=n1.example"]), [
    { name: "n1", addresses: ["10.0.0.1", "n1.example"] },
    { name: "n2", addresses: [] },
  ]);
  assert.equal(parseSpan("30d"), 30 * 86_400_000);
  assert.equal(parseSpan("12h"), 12 * 3_600_000);
  assert.throws(() => parseSpan("30"), /invalid duration/);
});

test("an unknown or missing subcommand is a usage error", async () => {
  let out = io(join(root, "x"));
  assert.equal(await run(["pki"], out), 1);
  assert.match(out.stderr.text, /a subcommand is required: init, issue NAME/);
  out = io(join(root, "x"));
  assert.equal(await run(["pki", "rotate"], out), 1);
  assert.match(out.stderr.text, /unknown pki subcommand "rotate"/);
});
