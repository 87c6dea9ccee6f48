// The PKI's public data types: certificate specs, issued certificates and parsed certificate facts.

/** What a leaf certificate may be used for: TLS server (serverAuth), TLS client (clientAuth). */
export type Usage = "server" | "client";

/** Which of the cluster's certificate authorities signs: the cluster CA or etcd's own CA. */
export type CaName = "cluster" | "etcd";

/**
 * A leaf certificate to issue. `name` is its file name in the PKI directory (`<name>.crt`,
 * `<name>.key`); issuing again under the same name replaces both files.
 */
export interface CertSpec {
  /** File name stem: letters, digits, `.`, `-`, `_`; not `ca`, `etcd-ca` or `sa`. */
  name: string;
  /** Signing CA; default `cluster`. */
  ca?: CaName;
  /** Subject CN: the user name the apiserver authenticates (`system:node:node-1`). */
  commonName: string;
  /** Subject O values: the groups (`system:masters`). */
  organizations?: string[];
  dnsNames?: string[];
  ipAddresses?: string[];
  /** At least one. */
  usages: Usage[];
  /** Default 365; `validitySeconds` wins when both are given (short lifetimes in tests). */
  validityDays?: number;
  validitySeconds?: number;
}

/** The files of a certificate just written by `Pki.issue` / `Pki.renew`. */
export interface IssuedCert {
  name: string;
  certFile: string;
  keyFile: string;
  /** The file of the CA that signed it (clients and servers trust this one). */
  caFile: string;
  notAfter: Date;
}

/** Facts read from one certificate (PEM), independent of where it is stored. */
export interface ParsedCertificate {
  commonName: string;
  organizations: string[];
  issuerCommonName: string;
  dnsNames: string[];
  ipAddresses: string[];
  usages: Usage[];
  notBefore: Date;
  notAfter: Date;
  isCa: boolean;
  serialNumber: string;
}

/** One certificate of the PKI directory, as `Pki.list` reports it. */
export interface CertInfo extends ParsedCertificate {
  /** File name stem (`apiserver`, `ca`, `etcd-ca`). */
  name: string;
  /** Which CA signed it; undefined when neither of this PKI's CAs did. */
  issuer: CaName | undefined;
  /** Absolute path of the `.crt` file. */
  file: string;
}

/** Validity of a certificate being issued. */
export interface Validity {
  validityDays?: number;
  validitySeconds?: number;
}
