// Certificate rotation: renews a kubelet certificate at 70-90 % of its lifetime (Kubernetes' jittered deadline), then hot-reloads it.
import { readFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "@kubeplane/service-kit";
import { readStoredCertificate, writeStoredCertificate } from "./cert-files.js";
import { trustedNow } from "./tls-bootstrap.js";

/** One certificate to keep fresh. */
export interface RotationOptions {
  /** "client" or "serving", for logs. */
  what: string;
  /** The PEM file (certificate and key) to renew. */
  file: string;
  /** The cluster CA: a certificate it did not issue (the untrusted first serving one) is renewed at once. */
  caFile: string;
  /** Asks for a new certificate (a CSR as the node itself). */
  request: () => Promise<{ certPem: string; keyPem: string }>;
  /** Called after the new certificate was written: reload it where it is used. */
  rotated: () => Promise<void> | void;
  logger: Logger;
  signal: AbortSignal;
  /** The fraction of the lifetime to renew at; default a random 0.7-0.9 for each certificate. */
  renewFraction?: () => number;
}

/** When to renew: notBefore + fraction × lifetime; now when the certificate is missing, expired or not the CA's. */
export async function rotationDeadline(opts: Pick<RotationOptions, "file" | "caFile" | "renewFraction">): Promise<Date> {
  const stored = await readStoredCertificate(opts.file);
  if (!stored || !trustedNow(stored.certificate, await readFile(opts.caFile))) return new Date();
  const lifetime = stored.notAfter.getTime() - stored.notBefore.getTime();
  const fraction = opts.renewFraction?.() ?? 0.7 + 0.2 * Math.random();
  return new Date(stored.notBefore.getTime() + fraction * lifetime);
}

const retryInitialMs = 1_000;
/** Node's timers fire at once for a delay above 2^31-1 ms (24.8 days): longer waits are taken in steps. */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;
const retryMaxMs = 60_000;

/**
 * Runs until the signal aborts: waits for the deadline, requests a new certificate, writes it
 * and calls `rotated`; a failed request is retried with back-off (the current certificate stays
 * in use meanwhile). Never rejects (failures are logged).
 */
export async function runCertificateRotation(opts: RotationOptions): Promise<void> {
  let retryMs = retryInitialMs;
  while (!opts.signal.aborted) {
    try {
      const wait = (await rotationDeadline(opts)).getTime() - Date.now();
      if (wait > MAX_TIMER_DELAY_MS) {
        // A year-long certificate (the signer's default) renews in ~8 months: wait a step, then look again.
        await sleep(MAX_TIMER_DELAY_MS, undefined, { signal: opts.signal });
        continue;
      }
      if (wait > 0) await sleep(wait, undefined, { signal: opts.signal });
      const { certPem, keyPem } = await opts.request();
      await writeStoredCertificate(opts.file, certPem, keyPem);
      await opts.rotated();
      const stored = await readStoredCertificate(opts.file);
      opts.logger.info({ certificate: opts.what, notAfter: stored?.notAfter.toISOString() }, "certificate rotated");
      retryMs = retryInitialMs;
    } catch (err) {
      if (opts.signal.aborted) return;
      opts.logger.warn({ err, certificate: opts.what, retryInMs: retryMs }, "certificate rotation failed; retrying");
      await sleep(retryMs, undefined, { signal: opts.signal }).catch(() => undefined);
      retryMs = Math.min(retryMs * 2, retryMaxMs);
    }
  }
}
