// Tests of the PKI directory: CAs, issued leaves (chain, SANs, usages, modes), renew, CSR signing, CA hash.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { X509Certificate, createPrivateKey, createPublicKey } from "node:crypto";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import {
  InvalidCertSpecError,
  InvalidCsrError,
  PkiNotInitializedError,
  createCsr,
  initPki,
  initPkiReport,
  loadPki,
  readCertificate,
  certificateExpiry,
} from "./index.js";

const root = await mkdtemp(join(tmpdir(), "kp-pki-"));
after(() => rm(root, { recursive: true, force: true }));
const dir = join(root, "pki");
const pki = await initPki(dir);

function openssl(...args: string[]): string {
  return execFileSync("openssl", args, { encoding: "utf8", stdio: ["pipe", "pipe", "pipe"] });
}

test("initPki creates the two CAs and the ServiceAccount pair, 0600 files in a 0700 directory", async () => {
  assert.equal((await stat(dir)).mode & 0o777, 0o700);
  for (const f of ["ca.crt", "ca.key", "etcd-ca.crt", "etcd-ca.key", "sa.key", "sa.pub"]) {
    assert.equal((await stat(join(dir, f))).mode & 0o777, 0o600, f);
  }
  const ca = readCertificate(await readFile(pki.caFile("cluster"), "utf8"));
  const etcdCa = readCertificate(await readFile(pki.caFile("etcd"), "utf8"));
  assert.equal(ca.isCa, true);
  assert.equal(etcdCa.isCa, true);
  assert.notEqual(ca.commonName, etcdCa.commonName);
  const text = openssl("x509", "-noout", "-text", "-in", pki.caFile("cluster"));
  assert.match(text, /CA:TRUE, pathlen:0/);
  assert.match(text, /Certificate Sign, CRL Sign/);
  const expiresInDays = (ca.notAfter.getTime() - Date.now()) / 86_400_000;
  assert.ok(expiresInDays > 3649 && expiresInDays <= 3650, `CA lifetime ${expiresInDays}d`);
  // sa.pub is the public half of sa.key.
  const saKey = createPrivateKey(await readFile(pki.saKeyFile));
  assert.equal(saKey.asymmetricKeyType, "ec");
  assert.equal(
    createPublicKey(saKey).export({ type: "spki", format: "pem" }).toString(),
    (await readFile(pki.saPublicKeyFile, "utf8")).toString(),
  );
});

test("initPki again keeps every CA and key byte for byte", async () => {
  const before = await readFile(join(dir, "ca.key"), "utf8");
  const report = await initPkiReport(dir);
  assert.deepEqual(report.created, []);
  assert.deepEqual(report.kept, ["ca", "etcd-ca", "sa"]);
  assert.equal(await readFile(join(dir, "ca.key"), "utf8"), before);
  assert.equal(report.pki.caHash(), pki.caHash());
});

test("half a CA pair is refused, never replaced", async () => {
  const other = join(root, "half");
  await initPki(other);
  await rm(join(other, "etcd-ca.key"));
  await assert.rejects(initPki(other), PkiNotInitializedError);
  await assert.rejects(loadPki(join(root, "nothing-here")), PkiNotInitializedError);
});

test("an issued server+client leaf chains to its CA and carries the spec's subject, SANs and usages", async () => {
  const issued = await pki.issue({
    name: "web",
    commonName: "system:node:web-1",
    organizations: ["system:nodes", "extra"],
    dnsNames: ["web-1", "localhost"],
    ipAddresses: ["127.0.0.1", "10.1.2.3", "::1"],
    usages: ["server", "client"],
  });
  assert.equal(issued.caFile, pki.caFile("cluster"));
  assert.equal((await stat(issued.certFile)).mode & 0o777, 0o600);
  assert.equal((await stat(issued.keyFile)).mode & 0o777, 0o600);
  const pem = await readFile(issued.certFile, "utf8");
  const leaf = new X509Certificate(pem);
  const ca = new X509Certificate(await readFile(pki.caFile("cluster")));
  assert.ok(leaf.checkIssued(ca));
  assert.ok(leaf.verify(ca.publicKey));
  assert.ok(leaf.checkPrivateKey(createPrivateKey(await readFile(issued.keyFile))));
  assert.match(await readFile(issued.keyFile, "utf8"), /^-----BEGIN PRIVATE KEY-----/);
  assert.equal(openssl("verify", "-CAfile", pki.caFile("cluster"), issued.certFile).trim(), `${issued.certFile}: OK`);
  assert.throws(() => openssl("verify", "-CAfile", pki.caFile("etcd"), issued.certFile));

  const info = readCertificate(pem);
  assert.equal(info.commonName, "system:node:web-1");
  assert.deepEqual(info.organizations, ["system:nodes", "extra"]);
  assert.deepEqual(info.dnsNames, ["web-1", "localhost"]);
  assert.deepEqual(info.ipAddresses, ["127.0.0.1", "10.1.2.3", "::1"]);
  assert.deepEqual(info.usages, ["server", "client"]);
  assert.equal(info.isCa, false);
  const days = (info.notAfter.getTime() - Date.now()) / 86_400_000;
  assert.ok(days > 364 && days <= 365, `leaf lifetime ${days}d`);
  assert.equal(certificateExpiry(issued.certFile).getTime(), Math.floor(info.notAfter.getTime() / 1000) * 1000);

  const text = openssl("x509", "-noout", "-text", "-in", issued.certFile);
  assert.match(text, /CA:FALSE/);
  assert.match(text, /Key Usage: critical\s+Digital Signature, Key Encipherment/);
  assert.match(text, /TLS Web Server Authentication, TLS Web Client Authentication/);
  assert.match(text, /Subject Key Identifier/);
  assert.match(text, /Authority Key Identifier/);
  // openssl's own purpose checks agree with the EKU.
  openssl("verify", "-CAfile", pki.caFile("cluster"), "-purpose", "sslserver", issued.certFile);
  openssl("verify", "-CAfile", pki.caFile("cluster"), "-purpose", "sslclient", issued.certFile);
});

test("a client-only leaf of the etcd CA is no server certificate and has no SAN extension", async () => {
  const issued = await pki.issue({ name: "etcd-client", ca: "etcd", commonName: "c", usages: ["client"] });
  assert.equal(issued.caFile, pki.caFile("etcd"));
  const info = readCertificate(await readFile(issued.certFile, "utf8"));
  assert.deepEqual(info.usages, ["client"]);
  assert.deepEqual(info.dnsNames, []);
  assert.doesNotMatch(openssl("x509", "-noout", "-text", "-in", issued.certFile), /Subject Alternative Name/);
  openssl("verify", "-CAfile", pki.caFile("etcd"), "-purpose", "sslclient", issued.certFile);
  assert.throws(() => openssl("verify", "-CAfile", pki.caFile("etcd"), "-purpose", "sslserver", issued.certFile));
});

test("validitySeconds gives short lifetimes, never past the CA's", async () => {
  const issued = await pki.issue({ name: "short", commonName: "s", usages: ["client"], validitySeconds: 120 });
  const seconds = (issued.notAfter.getTime() - Date.now()) / 1000;
  assert.ok(seconds > 100 && seconds <= 120, `${seconds}s`);
  const long = await pki.issue({ name: "long", commonName: "l", usages: ["client"], validityDays: 100_000 });
  const ca = readCertificate(await readFile(pki.caFile("cluster"), "utf8"));
  assert.ok(long.notAfter.getTime() <= ca.notAfter.getTime());
});

test("bad specs are refused: path-like or reserved names, no usages, a non-IP address", async () => {
  await assert.rejects(pki.issue({ name: "../x", commonName: "x", usages: ["client"] }), InvalidCertSpecError);
  await assert.rejects(pki.issue({ name: "ca", commonName: "x", usages: ["client"] }), InvalidCertSpecError);
  await assert.rejects(pki.issue({ name: "x", commonName: "x", usages: [] }), InvalidCertSpecError);
  await assert.rejects(
    pki.issue({ name: "x", commonName: "x", usages: ["server"], ipAddresses: ["not-an-ip"] }),
    InvalidCertSpecError,
  );
});

test("renew keeps subject, SANs, usages and CA, and changes the key", async () => {
  const first = await pki.issue({
    name: "renew-me",
    ca: "etcd",
    commonName: "m1",
    organizations: ["o"],
    dnsNames: ["m1"],
    ipAddresses: ["127.0.0.1"],
    usages: ["server", "client"],
    validitySeconds: 3600,
  });
  const beforePem = await readFile(first.certFile, "utf8");
  const beforeKey = await readFile(first.keyFile, "utf8");
  const renewed = await pki.renew("renew-me");
  const afterPem = await readFile(renewed.certFile, "utf8");
  assert.notEqual(await readFile(renewed.keyFile, "utf8"), beforeKey);
  const a = readCertificate(beforePem);
  const b = readCertificate(afterPem);
  assert.equal(b.commonName, a.commonName);
  assert.deepEqual(b.organizations, a.organizations);
  assert.deepEqual(b.dnsNames, a.dnsNames);
  assert.deepEqual(b.ipAddresses, a.ipAddresses);
  assert.deepEqual(b.usages, a.usages);
  assert.notEqual(b.serialNumber, a.serialNumber);
  assert.notEqual(new X509Certificate(afterPem).publicKey.export({ type: "spki", format: "pem" }), new X509Certificate(beforePem).publicKey.export({ type: "spki", format: "pem" }));
  assert.equal(renewed.caFile, pki.caFile("etcd"));
  // The lifetime carries over (an hour here), unless one is given.
  const seconds = (renewed.notAfter.getTime() - Date.now()) / 1000;
  assert.ok(seconds > 3500 && seconds <= 3601, `${seconds}s`);
  assert.ok(await pki.keyMatches("renew-me"));
  await assert.rejects(pki.renew("no-such-cert"), { code: "CertificateNotFound" });
  await assert.rejects(pki.renew("ca"), InvalidCertSpecError);
});

test("list reports every certificate with its issuer, CA flag and file", async () => {
  await pki.issue({ name: "listed", ca: "etcd", commonName: "listed", usages: ["client"] });
  const list = await pki.list();
  const byName = new Map(list.map((c) => [c.name, c]));
  assert.equal(byName.get("ca")?.issuer, "cluster");
  assert.equal(byName.get("ca")?.isCa, true);
  assert.equal(byName.get("etcd-ca")?.issuer, "etcd");
  assert.equal(byName.get("listed")?.issuer, "etcd");
  assert.equal(byName.get("listed")?.file, join(pki.dir, "listed.crt"));
  assert.equal(byName.get("web")?.issuer, "cluster");
  assert.deepEqual(
    list.map((c) => c.name),
    [...list.map((c) => c.name)].sort(),
  );
  assert.equal(byName.has("sa"), false);
});

test("signCsr copies the request's CN, O and SANs and signs with the chosen usages", async () => {
  const { csrPem, keyPem } = await createCsr({
    commonName: "system:node:joiner",
    organizations: ["system:nodes"],
    dnsNames: ["joiner"],
    ipAddresses: ["10.0.0.9"],
  });
  assert.match(keyPem, /^-----BEGIN PRIVATE KEY-----/);
  const certPem = await pki.signCsr(csrPem, { usages: ["server", "client"], validitySeconds: 600 });
  const info = readCertificate(certPem);
  assert.equal(info.commonName, "system:node:joiner");
  assert.deepEqual(info.organizations, ["system:nodes"]);
  assert.deepEqual(info.dnsNames, ["joiner"]);
  assert.deepEqual(info.ipAddresses, ["10.0.0.9"]);
  assert.deepEqual(info.usages, ["server", "client"]);
  const cert = new X509Certificate(certPem);
  assert.ok(cert.checkPrivateKey(createPrivateKey(keyPem)));
  assert.ok(cert.verify(new X509Certificate(await readFile(pki.caFile("cluster"))).publicKey));
  const etcdSigned = new X509Certificate(await pki.signCsr(csrPem, { ca: "etcd", usages: ["client"] }));
  assert.ok(etcdSigned.verify(new X509Certificate(await readFile(pki.caFile("etcd"))).publicKey));
});

test("signCsr rejects a tampered or malformed CSR", async () => {
  const { csrPem } = await createCsr({ commonName: "system:node:honest" });
  const der = Buffer.from(
    csrPem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, ""),
    "base64",
  );
  const at = der.indexOf(Buffer.from("honest"));
  assert.ok(at > 0);
  der.write("hacked", at); // same length: the structure parses, the signature no longer matches
  const tampered = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString("base64").replace(/(.{64})/g, "$1\n")}\n-----END CERTIFICATE REQUEST-----\n`;
  await assert.rejects(pki.signCsr(tampered, { usages: ["client"] }), InvalidCsrError);
  await assert.rejects(pki.signCsr("not a csr", { usages: ["client"] }), InvalidCsrError);
});

test("caHash is sha256 of the CA's SubjectPublicKeyInfo DER, as openssl computes it", async () => {
  const pub = execFileSync("openssl", ["x509", "-pubkey", "-noout", "-in", pki.caFile("cluster")]);
  const der = execFileSync("openssl", ["pkey", "-pubin", "-outform", "der"], { input: pub });
  const sum = execFileSync("sha256sum", { input: der, encoding: "utf8" }).split(" ")[0];
  assert.equal(pki.caHash(), `sha256:${sum}`);
  // Another PKI has another hash.
  const other = await initPki(join(root, "other"));
  assert.notEqual(other.caHash(), pki.caHash());
});

test("a loaded PKI signs with the same CA as the one that created it", async () => {
  const loaded = await loadPki(dir);
  const issued = await loaded.issue({ name: "from-loaded", commonName: "x", usages: ["client"] });
  openssl("verify", "-CAfile", pki.caFile("cluster"), issued.certFile);
  await writeFile(join(dir, "stray.txt"), "not a certificate");
  assert.ok((await loaded.list()).every((c) => c.name !== "stray"));
});

test("concurrent issues of one name leave a matching certificate and key", async () => {
  await Promise.all(
    Array.from({ length: 8 }, (_, i) => pki.issue({ name: "contended", commonName: `c${i}`, usages: ["client"] })),
  );
  assert.ok(await pki.keyMatches("contended"));
});

test("a lock left by a dead process does not block the directory", async () => {
  const child = execFileSync("sh", ["-c", "echo $$"], { encoding: "utf8" }).trim();
  await writeFile(join(dir, ".lock"), child);
  const started = Date.now();
  await pki.issue({ name: "after-crash", commonName: "x", usages: ["client"] });
  assert.ok(Date.now() - started < 5000);
  await assert.rejects(stat(join(dir, ".lock")), { code: "ENOENT" });
});
