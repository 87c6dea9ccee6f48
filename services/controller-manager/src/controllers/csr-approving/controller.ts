// The csrapproving controller: approves kubelet client and serving CSRs that `decide` vouches for, through the approval subresource.
import { kindForResource, type coreV1Node, type KindInfo } from "@kubeplane/api";
import type { ApiClient, Lister } from "@kubeplane/client";
import type { Logger, Reconciler, Request, Result } from "@kubeplane/controller";
import type { ControllerContext } from "../context.js";
import { csrKind, isDecided, KUBELET_SERVING_SIGNER, type Csr } from "../util/csr.js";
import { decide } from "./approver.js";

type Node = coreV1Node.Node;
const nodeKind = kindForResource("", "nodes") as KindInfo<Node>;

/** How soon a serving CSR whose Node is not (yet) registered, or lacks the address, is looked at again. */
const nodeRecheckMs = 2_000;

/**
 * Reconciles one CSR by name: a pending one that `decide` approves gets an Approved condition
 * (reason AutoApproved). Decided requests are left alone. Failures are thrown (retried).
 */
export class CsrApprovingController implements Reconciler {
  constructor(
    private readonly client: ApiClient,
    private readonly csrs: Lister<Csr>,
    private readonly nodes: Lister<Node>,
    private readonly logger: Logger,
  ) {}

  async reconcile({ name }: Request, signal: AbortSignal): Promise<Result | void> {
    const csr = this.csrs.get("", name);
    if (!csr || isDecided(csr) || csr.status?.certificate) return;
    const verdict = await decide(csr, (n) => this.nodes.get("", n));
    if (!verdict.approve) {
      this.logger.debug({ component: "csrapproving", name, reason: verdict.reason }, "CSR left for manual approval");
      // A serving request may wait for its Node to register or report the address.
      return csr.spec?.signerName === KUBELET_SERVING_SIGNER ? { requeueAfterMs: nodeRecheckMs } : undefined;
    }
    const approved = structuredClone(csr);
    approved.status!.conditions.push({ type: "Approved", status: "True", reason: "AutoApproved", message: verdict.message, lastUpdateTime: "", lastTransitionTime: "" });
    await this.client.updateApproval(csrKind, approved, { signal });
    this.logger.info({ component: "csrapproving", name, username: csr.spec?.username, signer: csr.spec?.signerName }, "CSR approved");
  }
}

export function newCsrApprovingController(ctx: ControllerContext): void {
  const csrs = ctx.informers.informerFor(csrKind);
  const nodes = ctx.informers.informerFor(nodeKind);
  const reconciler = new CsrApprovingController(ctx.client, csrs.lister, nodes.lister, ctx.logger);
  const controller = ctx.manager.newController({ name: "csrapproving", reconciler, workers: ctx.config.workers });
  controller.watch(csrs);
}
