// The csrsigning controller: issues the certificate of approved kubelet CSRs with the cluster CA, honouring expirationSeconds.
import { MIN_CSR_EXPIRATION_SECONDS } from "@kubeplane/api";
import type { ApiClient, Lister } from "@kubeplane/client";
import type { Logger, Reconciler, Request, Result } from "@kubeplane/controller";
import type { ControllerContext } from "../context.js";
import { csrKind, csrPem, hasCondition, kubeletCsrProblem, KUBELET_CLIENT_SIGNER, KUBELET_SERVING_SIGNER, type Csr } from "../util/csr.js";
import { CsrSigner, isInvalidCsr, verifyCsr, type Usage } from "@kubeplane/pki";

const signerUsages: Readonly<Record<string, Usage[]>> = {
  [KUBELET_CLIENT_SIGNER]: ["client"],
  [KUBELET_SERVING_SIGNER]: ["server"],
};

/** The lifetime to issue: the request's expirationSeconds (at least 10 min) capped by the configured maximum. */
export function signingLifetimeSeconds(csr: Csr, maxMs: number): number {
  const max = Math.floor(maxMs / 1000);
  const asked = csr.spec?.expirationSeconds;
  if (asked === undefined) return max;
  return Math.min(max, Math.max(asked, MIN_CSR_EXPIRATION_SECONDS));
}

/**
 * Reconciles one CSR by name: an Approved request for a kubelet signer, not Denied or Failed and
 * without a certificate, is signed and the certificate written through the status subresource.
 * One that does not fit its signer (subject, usages, SANs) gets a Failed condition instead, as
 * Kubernetes' signer does. Other signers are another signer's business. Failures are thrown (retried).
 */
export class CsrSigningController implements Reconciler {
  constructor(
    private readonly client: ApiClient,
    private readonly csrs: Lister<Csr>,
    /** The CA, loaded on first use (retried after a failure). */
    private readonly signer: () => Promise<CsrSigner>,
    private readonly maxLifetimeMs: number,
    private readonly logger: Logger,
  ) {}

  async reconcile({ name }: Request, signal: AbortSignal): Promise<Result | void> {
    const csr = this.csrs.get("", name);
    const usages = signerUsages[csr?.spec?.signerName ?? ""];
    if (!csr || !usages || csr.status?.certificate) return;
    if (!hasCondition(csr, "Approved") || hasCondition(csr, "Denied") || hasCondition(csr, "Failed")) return;
    const pem = csrPem(csr);
    let problem: string | undefined;
    try {
      problem = kubeletCsrProblem(csr.spec!.signerName, csr.spec!.usages, (await verifyCsr(pem)).subject);
    } catch (err) {
      if (!isInvalidCsr(err)) throw err;
      problem = (err as Error).message;
    }
    const next = structuredClone(csr);
    if (problem) {
      next.status!.conditions.push({ type: "Failed", status: "True", reason: "SignerValidationFailure", message: problem, lastUpdateTime: "", lastTransitionTime: "" });
      await this.client.updateStatus(csrKind, next, { signal });
      this.logger.warn({ component: "csrsigning", name, problem }, "CSR not signed");
      return;
    }
    const lifetimeSeconds = signingLifetimeSeconds(csr, this.maxLifetimeMs);
    const certificate = await (await this.signer()).sign(pem, { usages, lifetimeSeconds });
    next.status!.certificate = Buffer.from(certificate).toString("base64");
    await this.client.updateStatus(csrKind, next, { signal });
    this.logger.info({ component: "csrsigning", name, signer: csr.spec!.signerName, lifetimeSeconds }, "CSR signed");
  }
}

/** Needs clusterSigningCertFile and clusterSigningKeyFile; without them kubelet CSRs stay unsigned (logged). */
export function newCsrSigningController(ctx: ControllerContext): void {
  const { clusterSigningCertFile: certFile, clusterSigningKeyFile: keyFile } = ctx.config;
  if (!certFile || !keyFile) {
    ctx.logger.warn({ component: "csrsigning" }, "clusterSigningCertFile/clusterSigningKeyFile unset: kubelet CSRs will not be signed");
    return;
  }
  const csrs = ctx.informers.informerFor(csrKind);
  let signer: Promise<CsrSigner> | undefined;
  const load = (): Promise<CsrSigner> =>
    (signer ??= CsrSigner.load(certFile, keyFile).catch((err: unknown) => {
      signer = undefined;
      throw err;
    }));
  const reconciler = new CsrSigningController(ctx.client, csrs.lister, load, ctx.config.clusterSigningDuration, ctx.logger);
  const controller = ctx.manager.newController({ name: "csrsigning", reconciler, workers: ctx.config.workers });
  controller.watch(csrs);
}
