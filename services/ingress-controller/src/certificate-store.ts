// TLS certificates by SNI host name, from the served Ingresses' spec.tls Secrets, with a fallback.
import { createSecureContext, type SecureContext } from "node:tls";
import type { coreV1Config, networkingV1 } from "@kubeplane/api";
import type { Logger } from "@kubeplane/service-kit";
import type { PemKeyPair } from "./self-signed-certificate.js";

/** A TLS Secret's key pair, parsed: its context (Node) and its PEM text (for nginx, certificate then key). */
export interface ParsedCertificate {
  /** `namespace/name@resourceVersion` of the Secret: the same id means the same PEM. */
  readonly id: string;
  readonly context: SecureContext;
  readonly pem: string;
}

/** Looks up a Secret from the cache. */
export type SecretGetter = (namespace: string, name: string) => coreV1Config.Secret | undefined;

/**
 * The certificates the HTTPS listener presents. `rebuild` swaps in a new host map (exact names
 * and `*.` wildcards); `contextFor` is the SNI lookup, falling back to the self-signed context.
 * A Secret's context is parsed once per resourceVersion. Event-loop use only.
 */
export class CertificateStore {
  private exact = new Map<string, ParsedCertificate>();
  private wildcard = new Map<string, ParsedCertificate>();
  private parsed = new Map<string, ParsedCertificate | undefined>();
  /** `namespace/name` of every Secret the served Ingresses reference. */
  private referenced = new Set<string>();
  readonly fallback: SecureContext;

  constructor(
    /** Served to clients that send no SNI name, and to names without a certificate. */
    readonly fallbackPem: PemKeyPair,
    private readonly logger: Logger,
  ) {
    this.fallback = createSecureContext(fallbackPem);
  }

  /** Whether a change to this Secret can change what is served. */
  references(namespace: string, name: string): boolean {
    return this.referenced.has(`${namespace}/${name}`);
  }

  /** TLS hosts served with a Secret's certificate. */
  get hostCount(): number {
    return this.exact.size + this.wildcard.size;
  }

  /**
   * Recomputes the host → certificate map from `ingresses` (oldest first wins a host, as in the
   * routing table). A tls entry without hosts covers its Ingress's rule hosts. A missing Secret or
   * one without a usable tls.crt/tls.key leaves its hosts on the fallback (logged once per version).
   */
  rebuild(ingresses: readonly networkingV1.Ingress[], getSecret: SecretGetter): void {
    const exact = new Map<string, ParsedCertificate>();
    const wildcard = new Map<string, ParsedCertificate>();
    const parsed = new Map<string, ParsedCertificate | undefined>();
    const referenced = new Set<string>();
    for (const ing of ingresses) {
      const namespace = ing.metadata?.namespace ?? "";
      for (const tls of ing.spec?.tls ?? []) {
        if (!tls.secretName) continue;
        referenced.add(`${namespace}/${tls.secretName}`);
        const context = this.contextOf(getSecret(namespace, tls.secretName), `${namespace}/${tls.secretName}`, parsed);
        if (!context) continue;
        const hosts = tls.hosts.length ? tls.hosts : (ing.spec?.rules ?? []).map((r) => r.host).filter((h) => h !== "");
        for (const host of hosts.map((h) => h.toLowerCase())) {
          const [map, key] = host.startsWith("*.") ? [wildcard, host.slice(1)] : [exact, host];
          if (!map.has(key)) map.set(key, context);
        }
      }
    }
    this.exact = exact;
    this.wildcard = wildcard;
    this.parsed = parsed;
    this.referenced = referenced;
  }

  private contextOf(secret: coreV1Config.Secret | undefined, key: string, parsed: Map<string, ParsedCertificate | undefined>): ParsedCertificate | undefined {
    if (!secret) return undefined;
    const version = `${key}@${secret.metadata?.resourceVersion ?? ""}`;
    if (parsed.has(version)) return parsed.get(version);
    if (this.parsed.has(version)) {
      parsed.set(version, this.parsed.get(version));
      return parsed.get(version);
    }
    let context: ParsedCertificate | undefined;
    try {
      const pem = (field: string): string => Buffer.from(secret.data[field] ?? "", "base64").toString("utf8");
      const [cert, key] = [pem("tls.crt"), pem("tls.key")];
      context = { id: version, context: createSecureContext({ cert, key }), pem: `${cert.trimEnd()}\n${key.trimEnd()}\n` };
    } catch (err) {
      this.logger.warn({ secret: key, err: (err as Error).message }, "TLS Secret has no usable tls.crt/tls.key; its hosts get the fallback certificate");
    }
    parsed.set(version, context);
    return context;
  }

  /** The certificate for an SNI `servername`: exact host, then one-label wildcard, then the fallback. */
  contextFor(servername: string | undefined): SecureContext {
    const host = (servername ?? "").toLowerCase();
    const dot = host.indexOf(".");
    return (this.exact.get(host) ?? (dot > 0 ? this.wildcard.get(host.slice(dot)) : undefined))?.context ?? this.fallback;
  }

  /** The Secret's certificate for an exact host name; undefined: the fallback. */
  certificateFor(host: string): ParsedCertificate | undefined {
    const dot = host.indexOf(".");
    return this.exact.get(host) ?? (dot > 0 ? this.wildcard.get(host.slice(dot)) : undefined);
  }

  /** The Secret's certificate for every name under a wildcard suffix (".example.com"); undefined: the fallback. */
  wildcardCertificateFor(suffix: string): ParsedCertificate | undefined {
    return this.wildcard.get(suffix);
  }

  /** The TLS host names with a certificate: exact names and wildcard suffixes (".example.com"). */
  tlsHosts(): { exact: string[]; wildcard: string[] } {
    return { exact: [...this.exact.keys()], wildcard: [...this.wildcard.keys()] };
  }
}
