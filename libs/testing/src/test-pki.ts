// The cluster PKI every test runs with: one per machine and user, created on first use, shared by test processes.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { link, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { ChannelCredentials } from "@grpc/grpc-js";
import { join } from "node:path";
import type { ConnectionOptions } from "nats";
import { ensureClusterPki, type Pki } from "@kubeplane/pki";
import { natsConnectionOptions } from "@kubeplane/watch";

/** A certificate's files and the CA that verifies its peers. */
export interface TlsFiles {
  caFile: string;
  certFile: string;
  keyFile: string;
}

/**
 * The test PKI: cluster and etcd CAs, a certificate for every component (names of
 * @kubeplane/pki's clusterCertSpecs), `etcd-test` for every test etcd member, and node
 * certificates issued on first use. Safe to use from concurrent test processes (the PKI's
 * directory lock).
 */
export interface TestPki {
  readonly dir: string;
  readonly pki: Pki;
  /** The cluster CA: verifies the apiserver, NATS, every service and kubelet; signs client certificates. */
  readonly caFile: string;
  /** etcd's own CA. */
  readonly etcdCaFile: string;
  /** A certificate of the default set by name ("admin", "scheduler", "apiserver", "etcd-test", ...). */
  files(name: string): TlsFiles;
  /** The kubelet certificate of node `name` (CN system:node:<name>), issued on first use. */
  node(name: string): Promise<TlsFiles>;
  /**
   * The certificate of a kubelet that simulates many nodes (benches, scale tests): CN
   * system:kubeplane:node-simulator, a NATS reader of every pod, issued on first use.
   */
  simulator(): Promise<TlsFiles>;
}

/** The node simulator's identity (a NATS reader in test clusters). */
export const SIMULATOR_COMMON_NAME = "system:kubeplane:node-simulator";

/** Where the shared test PKI lives: $KP_TEST_PKI_DIR, else a directory of this user's under the temp dir. */
export function testPkiDir(): string {
  return process.env.KP_TEST_PKI_DIR || join(tmpdir(), `kubeplane-test-pki-${process.getuid?.() ?? "user"}`);
}

let ready: TestPki | undefined;
let creating: Promise<TestPki> | undefined;

class SharedTestPki implements TestPki {
  readonly caFile: string;
  readonly etcdCaFile: string;
  private readonly nodes = new Map<string, Promise<TlsFiles>>();
  private simulatorFiles: Promise<TlsFiles> | undefined;

  constructor(
    readonly dir: string,
    readonly pki: Pki,
  ) {
    this.caFile = pki.caFile("cluster");
    this.etcdCaFile = pki.caFile("etcd");
  }

  files(name: string): TlsFiles {
    const { certFile, keyFile } = this.pki.paths(name);
    return { caFile: name.startsWith("etcd-") || name === "apiserver-etcd-client" ? this.etcdCaFile : this.caFile, certFile, keyFile };
  }

  simulator(): Promise<TlsFiles> {
    this.simulatorFiles ??= (async () => {
      const name = "kubelet-simulator";
      const existing = (await this.pki.list()).find((c) => c.name === name);
      if (!existing || existing.notAfter.getTime() < Date.now() + 24 * 3600_000) {
        await this.pki.issue({
          name,
          commonName: SIMULATOR_COMMON_NAME,
          organizations: ["system:nodes"],
          usages: ["server", "client"],
          dnsNames: ["localhost"],
          ipAddresses: ["127.0.0.1"],
        });
      }
      return this.files(name);
    })();
    return this.simulatorFiles;
  }

  node(name: string): Promise<TlsFiles> {
    let files = this.nodes.get(name);
    if (!files) {
      files = ensureClusterPki(this.dir, topology([name])).then(() => this.files(`node-${name}`));
      this.nodes.set(name, files);
    }
    return files;
  }
}

function topology(nodes: string[]) {
  return {
    nodes: nodes.map((name) => ({ name, addresses: ["127.0.0.1"] })),
    etcdMembers: [{ name: "test", addresses: ["127.0.0.1"] }],
    apiserverSans: {},
  };
}

/** The test PKI, created (or brought up to date) on the first call of this process. */
export function testPki(): Promise<TestPki> {
  creating ??= (async () => {
    const dir = testPkiDir();
    const { pki } = await ensureClusterPki(dir, topology(["node-1", "node-2"]));
    await ensureEncryptionKeys(dir);
    ready = new SharedTestPki(dir, pki);
    return ready;
  })();
  return creating;
}

/** Where the test apiservers' encryption key lives (one key, `test1`), beside the PKI. */
function encryptionKeyFile(dir: string): string {
  return join(dir, "encryption-keys");
}

/** Writes the key file once, atomically (a hard link fails if a concurrent test process won the race). */
async function ensureEncryptionKeys(dir: string): Promise<void> {
  const tmp = `${encryptionKeyFile(dir)}.${process.pid}.tmp`;
  await writeFile(tmp, `test1:${randomBytes(32).toString("base64")}\n`, { mode: 0o600 });
  try {
    await link(tmp, encryptionKeyFile(dir));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  } finally {
    await unlink(tmp);
  }
}

/**
 * The test PKI once `testPki()` resolved in this process (every harness that starts etcd, NATS
 * or a service awaits it first), for code that needs certificate paths synchronously.
 */
export function testPkiNow(): TestPki {
  if (!ready) throw new Error("the test PKI is not ready: await testPki() (or start etcd, NATS or a control plane) first");
  return ready;
}

/** The files a test client presents (default: the cluster admin, system:masters). */
export function clientTls(identity = "admin"): TlsFiles {
  return testPkiNow().files(identity);
}

/** ApiClient options for `server` as `identity` (default the admin): the CA, certificate and key. */
export function clientOptions(server: string, identity = "admin"): { server: string; caFile: string; certFile: string; keyFile: string } {
  return { server, ...clientTls(identity) };
}

/**
 * The TLS settings of a service (service-kit's serving keys and the cluster-client keys) using
 * certificate `name` for both, as config fields (camelCase).
 */
export function serviceTlsConfig(files: TlsFiles): {
  tlsCertFile: string;
  tlsKeyFile: string;
  tlsClientCaFile: string;
  caFile: string;
  clientCertFile: string;
  clientKeyFile: string;
} {
  return {
    tlsCertFile: files.certFile,
    tlsKeyFile: files.keyFile,
    tlsClientCaFile: files.caFile,
    caFile: files.caFile,
    clientCertFile: files.certFile,
    clientKeyFile: files.keyFile,
  };
}

/** The same settings as command-line flags (kebab-case, without dashes). */
export function serviceTlsFlags(files: TlsFiles): Record<string, string> {
  const c = serviceTlsConfig(files);
  return {
    "tls-cert-file": c.tlsCertFile,
    "tls-key-file": c.tlsKeyFile,
    "tls-client-ca-file": c.tlsClientCaFile,
    "ca-file": c.caFile,
    "client-cert-file": c.clientCertFile,
    "client-key-file": c.clientKeyFile,
  };
}

/** gRPC channel credentials as `identity` (a certificate name of the test PKI; default the admin), trusting the cluster CA. */
export function grpcCredentials(identity = "admin"): ChannelCredentials {
  const files = testPkiNow().files(identity);
  return ChannelCredentials.createSsl(readFileSync(files.caFile), readFileSync(files.keyFile), readFileSync(files.certFile));
}

/**
 * nats.js connection options for a test NATS server as `identity` (a certificate name of the test
 * PKI; default the apiserver's NATS client, the one user that may publish and manage the stream).
 */
export function natsOptions(url: string, identity = "apiserver-nats-client"): ConnectionOptions {
  const files = testPkiNow().files(identity);
  return natsConnectionOptions(url, { caFile: files.caFile, clientCertFile: files.certFile, clientKeyFile: files.keyFile }, `kubeplane-test-${identity}`);
}

/** The apiserver's TLS settings (serving, etcd, NATS and kubelet client certificates) as config fields. */
export function apiserverTlsConfig(): {
  tlsCertFile: string;
  tlsKeyFile: string;
  tlsClientCaFile: string;
  caFile: string;
  etcdCaFile: string;
  etcdCertFile: string;
  etcdKeyFile: string;
  natsCertFile: string;
  natsKeyFile: string;
  kubeletClientCertFile: string;
  kubeletClientKeyFile: string;
} {
  const p = testPkiNow();
  const serving = p.files("apiserver");
  const etcd = p.files("apiserver-etcd-client");
  const nats = p.files("apiserver-nats-client");
  const kubelet = p.files("apiserver-kubelet-client");
  return {
    tlsCertFile: serving.certFile,
    tlsKeyFile: serving.keyFile,
    tlsClientCaFile: p.caFile,
    caFile: p.caFile,
    etcdCaFile: p.etcdCaFile,
    etcdCertFile: etcd.certFile,
    etcdKeyFile: etcd.keyFile,
    natsCertFile: nats.certFile,
    natsKeyFile: nats.keyFile,
    kubeletClientCertFile: kubelet.certFile,
    kubeletClientKeyFile: kubelet.keyFile,
  };
}

/** The apiserver's encryption at rest (required: ARCHITECTURE §3): the test key file, as config fields. */
export function apiserverEncryptionConfig(): { encryptionKeyFile: string } {
  return { encryptionKeyFile: encryptionKeyFile(testPkiNow().dir) };
}

/** apiserverTlsConfig as command-line flags. */
export function apiserverTlsFlags(): Record<string, string> {
  return Object.fromEntries(Object.entries(apiserverTlsConfig()).map(([k, v]) => [k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`), v]));
}
