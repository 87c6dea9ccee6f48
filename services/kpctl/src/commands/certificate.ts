// `kpctl certificate approve|deny NAME...` (kubectl certificate): decide on CertificateSigningRequests through their approval subresource.
import { kindFor } from "@kubeplane/api";
import type { JsonObject } from "@kubeplane/client";
import { UsageError } from "../args.js";
import { arr, str } from "../json-fields.js";
import type { Command, CommandContext } from "./command.js";

const csrs = kindFor("certificates.k8s.io/v1", "CertificateSigningRequest")!;

/** Adds the decision (kubectl's reason KubectlApprove / KubectlDeny) unless the request carries it; a decision once made stays (the apiserver refuses to drop it). */
async function decide(ctx: CommandContext, type: "Approved" | "Denied"): Promise<number> {
  const names = ctx.args.slice(1);
  if (names.length === 0) throw new UsageError(`certificate ${ctx.args[0]} needs at least one CertificateSigningRequest name`);
  const write = ctx.client().json.updateApproval;
  if (!write) throw new UsageError("this client cannot reach the approval subresource");
  const other = type === "Approved" ? "Denied" : "Approved";
  for (const name of names) {
    const csr = await ctx.client().json.get(csrs, "", name);
    const conditions = arr(csr, "status", "conditions") as JsonObject[];
    if (conditions.some((c) => str(c, "type") === type)) {
      ctx.out(`certificatesigningrequest.certificates.k8s.io/${name} ${type.toLowerCase()}\n`);
      continue;
    }
    if (conditions.some((c) => str(c, "type") === other)) throw new UsageError(`certificatesigningrequest ${name} is already ${other.toLowerCase()}`);
    const status = { ...((csr.status as JsonObject | undefined) ?? {}) };
    status.conditions = [
      ...conditions,
      { type, status: "True", reason: type === "Approved" ? "KubectlApprove" : "KubectlDeny", message: `This CSR was ${type.toLowerCase()} by kpctl certificate ${ctx.args[0]}.` },
    ];
    await write.call(ctx.client().json, csrs, { ...csr, status });
    ctx.out(`certificatesigningrequest.certificates.k8s.io/${name} ${type.toLowerCase()}\n`);
  }
  return 0;
}

export const certificateCommand: Command = {
  name: "certificate",
  summary: "Approve or deny certificate signing requests (kubectl certificate).",
  usage: "kpctl certificate approve|deny NAME...",
  examples: ["  # Approve a node's serving certificate request the approver left for a human", "  kpctl certificate approve csr-8a2b4c6d8e"].join("\n"),
  flags: [],
  async run(ctx) {
    switch (ctx.args[0]) {
      case "approve":
        return decide(ctx, "Approved");
      case "deny":
        return decide(ctx, "Denied");
      default:
        throw new UsageError(ctx.args[0] ? `unknown certificate subcommand "${ctx.args[0]}"` : "certificate needs a subcommand: approve or deny");
    }
  },
};
