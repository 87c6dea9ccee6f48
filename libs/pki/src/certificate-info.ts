// Reads the facts of a certificate (subject, SANs, usages, validity) the PKI and kpctl report.
import { readFileSync } from "node:fs";
import { X509Certificate as NodeX509Certificate } from "node:crypto";
import { isIPv6 } from "node:net";
import { x509 } from "./x509.js";
import type { ParsedCertificate, Usage } from "./types.js";

const serverAuth = "1.3.6.1.5.5.7.3.1";
const clientAuth = "1.3.6.1.5.5.7.3.2";

/** Parses one PEM certificate (the first one of a bundle). Throws when it is not a certificate. */
export function readCertificate(pem: string): ParsedCertificate {
  return parsedCertificate(new x509.X509Certificate(pem));
}

export function parsedCertificate(cert: x509.X509Certificate): ParsedCertificate {
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
  const names = san?.names.items ?? [];
  const eku = cert.getExtension(x509.ExtendedKeyUsageExtension);
  const ekus = (eku?.usages ?? []).map(String);
  const usages: Usage[] = [];
  if (ekus.includes(serverAuth)) usages.push("server");
  if (ekus.includes(clientAuth)) usages.push("client");
  const basic = cert.getExtension(x509.BasicConstraintsExtension);
  return {
    commonName: cert.subjectName.getField("CN")[0] ?? "",
    organizations: cert.subjectName.getField("O"),
    issuerCommonName: cert.issuerName.getField("CN")[0] ?? "",
    dnsNames: names.filter((n) => n.type === "dns").map((n) => n.value),
    ipAddresses: names.filter((n) => n.type === "ip").map((n) => canonicalIp(n.value)),
    usages,
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    isCa: basic?.ca === true,
    serialNumber: cert.serialNumber,
  };
}

/** The expiry (notAfter) of the certificate in a PEM file; reads the file synchronously. */
export function certificateExpiry(file: string): Date {
  return new Date(new NodeX509Certificate(readFileSync(file)).validTo);
}

/** One spelling per address, so SAN lists compare equal however an IPv6 address was written. */
export function canonicalIp(ip: string): string {
  if (!isIPv6(ip)) return ip;
  return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
}
