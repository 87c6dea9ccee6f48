// Command line of infra/deploy/render.sh: renders the kubeplane chart into one bundle directory per machine.
import { parseArgs } from "node:util";
import { writeAdminKubeconfig } from "./admin-kubeconfig.js";
import { renderBundles, writeBundles } from "./render-bundles.js";

const USAGE = `usage: infra/deploy/render.sh --pki-dir DIR --out DIR [-f VALUES.yaml]... [--set a.b=c]... [--chart DIR]
Renders charts/kubeplane (or --chart) into DIR/<machine>/ (machine.json, files/…), issuing missing or
stale certificates into the PKI directory for the machines' topology, and DIR/admin.kubeconfig (kubectl,
the control-plane machines' REST API, the admin's credentials embedded; 0600).`;

const { values: args } = parseArgs({
  options: {
    "pki-dir": { type: "string" },
    out: { type: "string" },
    values: { type: "string", short: "f", multiple: true },
    set: { type: "string", multiple: true },
    chart: { type: "string" },
    help: { type: "boolean", short: "h" },
  },
});
if (args.help) {
  process.stdout.write(`${USAGE}\n`);
} else if (!args["pki-dir"] || !args.out) {
  process.stderr.write(`${USAGE}\n`);
  process.exitCode = 2;
} else {
  try {
    const rendered = await renderBundles({ pkiDir: args["pki-dir"], valueFiles: args.values ?? [], set: args.set ?? [], ...(args.chart ? { chartDir: args.chart } : {}) });
    for (const i of rendered.issued) process.stdout.write(`pki: issued ${i.name} (${i.reason})\n`);
    const dirs = await writeBundles(rendered.bundles, args["pki-dir"], args.out);
    for (const [i, b] of rendered.bundles.entries()) {
      process.stdout.write(`${b.machine.name}\t${b.machine.role}\t${b.machine.address}\t${b.machine.units.join(",")}\t${dirs[i] ?? ""}\n`);
    }
    const kubeconfig = await writeAdminKubeconfig(rendered.bundles, rendered.values, args["pki-dir"], args.out);
    process.stdout.write(`kubectl: KUBECONFIG=${kubeconfig}\n`);
  } catch (err) {
    process.stderr.write(`error: ${(err as Error).message}\n`);
    process.exitCode = 1;
  }
}
