// The cluster PKI directory: its two CAs, the ServiceAccount key pair and the leaf certificates they sign.
import { createHash, createPrivateKey, createPublicKey, X509Certificate as NodeX509Certificate } from "node:crypto";
import { readFile, readdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { x509 } from "./x509.js";
import { generateKeyPair, importSigningKey, privateKeyPem, publicKeyPem } from "./keys.js";
import { createCaCertificate, signLeafCertificate, validityMs, backdateMs, type SigningCa } from "./certificate-builder.js";
import { parsedCertificate } from "./certificate-info.js";
import { verifyCsr } from "./csr.js";
import { ensurePrivateDir, exists, withDirLock, writePrivateFile } from "./files.js";
import { CertificateNotFoundError, InvalidCertSpecError, PkiNotInitializedError } from "./errors.js";
import type { CaName, CertInfo, CertSpec, IssuedCert, Usage, Validity } from "./types.js";

/** Options of `initPki`. */
export interface InitPkiOptions {
  /** Prefix of the CAs' common names (`<clusterName>-ca`, `<clusterName>-etcd-ca`); default `kubeplane`. */
  clusterName?: string;
  /** Lifetime of a CA created now; default 3650 days. Existing CAs are kept as they are. */
  caValidityDays?: number;
}

/** Options of `Pki.signCsr`. */
export interface SignCsrOptions extends Validity {
  /** Signing CA; default `cluster`. */
  ca?: CaName;
  usages: Usage[];
}

/** Paths of a leaf's two files. */
export interface CertPaths {
  certFile: string;
  keyFile: string;
}

const caFileStems: Record<CaName, string> = { cluster: "ca", etcd: "etcd-ca" };
const reservedNames = new Set(["ca", "etcd-ca", "sa"]);
const validName = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const defaultLeafDays = 365;
const defaultCaDays = 3650;

interface LoadedCa extends SigningCa {
  name: CaName;
  nodeCert: NodeX509Certificate;
}

/**
 * One cluster PKI directory. Holds the CAs' keys in memory to sign; every other fact is read from
 * the files on each call, so several Pki objects (or processes) over one directory agree. Calls may
 * run concurrently, from several processes too: writes take the directory's lock, so two issues
 * of one name leave one consistent pair (the last one's).
 */
export class Pki {
  /** Absolute path of the directory. */
  readonly dir: string;
  readonly #cas: Record<CaName, LoadedCa>;

  private constructor(dir: string, cas: Record<CaName, LoadedCa>) {
    this.dir = dir;
    this.#cas = cas;
  }

  /** Opens an initialised directory; throws PkiNotInitializedError when a CA file is missing. */
  static async load(dir: string): Promise<Pki> {
    const abs = resolve(dir);
    const load = async (name: CaName): Promise<LoadedCa> => {
      const stem = caFileStems[name];
      let certPem: string;
      let keyPem: string;
      try {
        [certPem, keyPem] = await Promise.all([
          readFile(join(abs, `${stem}.crt`), "utf8"),
          readFile(join(abs, `${stem}.key`), "utf8"),
        ]);
      } catch (error) {
        throw new PkiNotInitializedError(abs, `cannot read ${stem}.crt and ${stem}.key`, { cause: error });
      }
      return {
        name,
        cert: new x509.X509Certificate(certPem),
        key: await importSigningKey(keyPem),
        nodeCert: new NodeX509Certificate(certPem),
      };
    };
    const [cluster, etcd] = await Promise.all([load("cluster"), load("etcd")]);
    return new Pki(abs, { cluster, etcd });
  }

  /** The CA certificate file clients and servers of that CA trust. */
  caFile(ca: CaName): string {
    return join(this.dir, `${caFileStems[ca]}.crt`);
  }

  /** The files a leaf of this name lives in (whether or not it exists). */
  paths(name: string): CertPaths {
    return { certFile: join(this.dir, `${name}.crt`), keyFile: join(this.dir, `${name}.key`) };
  }

  /** The ServiceAccount token signing key (PKCS#8 EC P-256 PEM). */
  get saKeyFile(): string {
    return join(this.dir, "sa.key");
  }

  /** The ServiceAccount token verification key (SPKI PEM). */
  get saPublicKeyFile(): string {
    return join(this.dir, "sa.pub");
  }

  /**
   * "sha256:<hex>" of the cluster CA's SubjectPublicKeyInfo DER, as kubeadm's
   * `--discovery-token-ca-cert-hash`: a joining node pins the CA with it.
   */
  caHash(): string {
    const spki = this.#cas.cluster.nodeCert.publicKey.export({ type: "spki", format: "der" });
    return `sha256:${createHash("sha256").update(spki).digest("hex")}`;
  }

  /** Issues a leaf with a new key and writes `<name>.crt` and `<name>.key` (0600), replacing them. */
  async issue(spec: CertSpec): Promise<IssuedCert> {
    checkName(spec.name);
    const ca = this.#cas[spec.ca ?? "cluster"];
    const keys = await generateKeyPair();
    const cert = await signLeafCertificate(
      ca,
      keys.publicKey,
      spec,
      dedupe(spec.usages),
      validityMs(spec, defaultLeafDays),
    );
    const { certFile, keyFile } = this.paths(spec.name);
    const keyPem = await privateKeyPem(keys.privateKey);
    // Under the directory lock, so two writers of one name never leave one's key beside the
    // other's certificate; the key first, so a reader that sees the new certificate finds its key.
    await withDirLock(this.dir, async () => {
      await writePrivateFile(keyFile, keyPem);
      await writePrivateFile(certFile, cert.toString("pem") + "\n");
    });
    return { name: spec.name, certFile, keyFile, caFile: this.caFile(ca.name), notAfter: cert.notAfter };
  }

  /**
   * Re-issues a leaf with a new key and the subject, SANs, usages and CA of its current
   * certificate; the lifetime is the given one or the current certificate's. Throws
   * CertificateNotFoundError, or InvalidCertSpecError for a CA or a certificate neither CA signed.
   */
  async renew(name: string, opts: Validity = {}): Promise<IssuedCert> {
    return await withDirLock(this.dir, () => this.#renewLocked(name, opts));
  }

  async #renewLocked(name: string, opts: Validity): Promise<IssuedCert> {
    const info = await this.read(name);
    if (info.isCa) throw new InvalidCertSpecError(`"${name}" is a CA certificate; CAs are not renewed`);
    if (info.issuer === undefined) throw new InvalidCertSpecError(`"${name}" was not signed by this PKI's CAs`);
    const lifetimeSeconds = Math.round((info.notAfter.getTime() - info.notBefore.getTime() - backdateMs) / 1000);
    const validity: Validity =
      opts.validitySeconds !== undefined || opts.validityDays !== undefined ? opts : { validitySeconds: lifetimeSeconds };
    return await this.issue({
      name,
      ca: info.issuer,
      commonName: info.commonName,
      organizations: info.organizations,
      dnsNames: info.dnsNames,
      ipAddresses: info.ipAddresses,
      usages: info.usages,
      ...validity,
    });
  }

  /** Reads one certificate of the directory; throws CertificateNotFoundError. */
  async read(name: string): Promise<CertInfo> {
    checkName(name, true);
    const file = join(this.dir, `${name}.crt`);
    let pem: string;
    try {
      pem = await readFile(file, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") throw new CertificateNotFoundError(name, { cause: error });
      throw error;
    }
    return this.#info(name, file, pem);
  }

  /** Every `.crt` of the directory, CAs included, sorted by name. */
  async list(): Promise<CertInfo[]> {
    const names = (await readdir(this.dir)).filter((f) => f.endsWith(".crt")).map((f) => f.slice(0, -4));
    names.sort();
    return await Promise.all(
      names.map(async (name) => {
        const file = join(this.dir, `${name}.crt`);
        return this.#info(name, file, await readFile(file, "utf8"));
      }),
    );
  }

  /**
   * Whether `<name>.key` holds the private key of `<name>.crt`. False when either is missing or
   * unreadable as such.
   */
  async keyMatches(name: string): Promise<boolean> {
    const { certFile, keyFile } = this.paths(name);
    try {
      const [certPem, keyPem] = await Promise.all([readFile(certFile), readFile(keyFile)]);
      return new NodeX509Certificate(certPem).checkPrivateKey(createPrivateKey(keyPem));
    } catch {
      return false;
    }
  }

  /**
   * Signs a CSR after verifying its self-signature, copying only its subject CN and O and its DNS
   * and IP SANs; the usages and lifetime are the signer's choice (the CSR's requested extensions
   * are ignored). Returns the certificate PEM; writes nothing. Throws InvalidCsrError.
   */
  async signCsr(csrPem: string, opts: SignCsrOptions): Promise<string> {
    const csr = await verifyCsr(csrPem);
    const ca = this.#cas[opts.ca ?? "cluster"];
    const cert = await signLeafCertificate(
      ca,
      csr.publicKey,
      csr.subject,
      dedupe(opts.usages),
      validityMs(opts, defaultLeafDays),
    );
    return cert.toString("pem") + "\n";
  }

  #info(name: string, file: string, pem: string): CertInfo {
    const parsed = parsedCertificate(new x509.X509Certificate(pem));
    const nodeCert = new NodeX509Certificate(pem);
    const issuer = (["cluster", "etcd"] as const).find((ca) => {
      const caCert = this.#cas[ca].nodeCert;
      return nodeCert.checkIssued(caCert) && nodeCert.verify(caCert.publicKey);
    });
    return { ...parsed, name, issuer, file };
  }
}

/** What `initPki` found and did. */
export interface InitPkiReport {
  pki: Pki;
  /** Files created now (`ca`, `etcd-ca`, `sa`). */
  created: string[];
  /** Files that existed and were kept. */
  kept: string[];
}

/**
 * Creates the PKI directory (0700) with the cluster CA (`ca.crt|key`), etcd's CA
 * (`etcd-ca.crt|key`) and the ServiceAccount signing pair (`sa.key`, `sa.pub`). Idempotent and safe
 * across processes: what exists is kept, a CA is never overwritten, and half a CA pair is an
 * error (PkiNotInitializedError) rather than a silent replacement.
 */
export async function initPki(dir: string, opts: InitPkiOptions = {}): Promise<Pki> {
  return (await initPkiReport(dir, opts)).pki;
}

/** `initPki`, reporting what it created and kept. */
export async function initPkiReport(dir: string, opts: InitPkiOptions = {}): Promise<InitPkiReport> {
  const abs = resolve(dir);
  await ensurePrivateDir(abs);
  return await withDirLock(abs, () => initPkiLocked(abs, opts));
}

/** `initPkiReport`'s work; the caller holds the directory lock. */
export async function initPkiLocked(abs: string, opts: InitPkiOptions): Promise<InitPkiReport> {
  const clusterName = opts.clusterName ?? "kubeplane";
  const caLifetime = validityMs({ validityDays: opts.caValidityDays }, defaultCaDays);
  const created: string[] = [];
  const kept: string[] = [];
  const ensureCa = async (stem: string, commonName: string): Promise<void> => {
    const certFile = join(abs, `${stem}.crt`);
    const keyFile = join(abs, `${stem}.key`);
    const [hasCert, hasKey] = await Promise.all([exists(certFile), exists(keyFile)]);
    if (hasCert && hasKey) {
      kept.push(stem);
      return;
    }
    if (hasCert !== hasKey) {
      throw new PkiNotInitializedError(abs, `${stem}.${hasCert ? "key" : "crt"} is missing beside ${stem}.${hasCert ? "crt" : "key"}; refusing to replace a CA`);
    }
    const keys = await generateKeyPair();
    const cert = await createCaCertificate(commonName, caLifetime, keys);
    await writePrivateFile(keyFile, await privateKeyPem(keys.privateKey));
    await writePrivateFile(certFile, cert.toString("pem") + "\n");
    created.push(stem);
  };
  const ensureSaKey = async (): Promise<void> => {
    const keyFile = join(abs, "sa.key");
    const pubFile = join(abs, "sa.pub");
    const [hasKey, hasPub] = await Promise.all([exists(keyFile), exists(pubFile)]);
    if (hasKey && hasPub) {
      kept.push("sa");
      return;
    }
    if (hasKey) {
      // Tokens already signed with the key stay valid: derive the public half again.
      const pub = createPublicKey(createPrivateKey(await readFile(keyFile))).export({ type: "spki", format: "pem" });
      await writePrivateFile(pubFile, pub.toString());
      kept.push("sa");
      return;
    }
    const keys = await generateKeyPair();
    await writePrivateFile(keyFile, await privateKeyPem(keys.privateKey));
    await writePrivateFile(pubFile, await publicKeyPem(keys.publicKey));
    created.push("sa");
  };
  await Promise.all([
    ensureCa("ca", `${clusterName}-ca`),
    ensureCa("etcd-ca", `${clusterName}-etcd-ca`),
    ensureSaKey(),
  ]);
  return { pki: await Pki.load(abs), created: created.sort(), kept: kept.sort() };
}

/** Opens an initialised PKI directory; throws PkiNotInitializedError. */
export async function loadPki(dir: string): Promise<Pki> {
  return await Pki.load(dir);
}

function checkName(name: string, allowReserved = false): void {
  if (!validName.test(name)) throw new InvalidCertSpecError(`"${name}" is not a valid certificate name`);
  if (!allowReserved && reservedNames.has(name)) {
    throw new InvalidCertSpecError(`"${name}" belongs to a CA or the ServiceAccount key`);
  }
}

function dedupe(usages: readonly Usage[]): Usage[] {
  return (["server", "client"] as const).filter((u) => usages.includes(u));
}

