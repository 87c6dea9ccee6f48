// Helpers the observability tests share: kpctl's credentials, scrape jobs of test processes, panels that return no series.
import type { ControlPlane, Prometheus, ServiceProcess } from "@kubeplane/testing";
import { testPki } from "@kubeplane/testing";
import type { PanelSpec } from "../src/dashboards.js";
import type { ScrapeJob } from "../src/prometheus-config.js";

/** kpctl's flags for the test cluster's admin (none while the apiserver serves plaintext). */
export async function kpctlCredentials(cp: ControlPlane): Promise<string[]> {
  if (!cp.apiserver.httpUrl.startsWith("https:")) return [];
  const admin = (await testPki()).files("admin");
  return [`--certificate-authority=${admin.caFile}`, `--client-certificate=${admin.certFile}`, `--client-key=${admin.keyFile}`];
}

/** A scrape job for test processes: their HTTP listener, over TLS when they serve it. */
export function processJob(name: string, procs: ServiceProcess[]): ScrapeJob {
  return { name, targets: procs.map((p) => new URL(p.httpUrl).host), ...(procs.every((p) => p.httpUrl.startsWith("https:")) ? {} : { useTls: false }) };
}

/** Prometheus' scrape certificate from the test PKI. */
export async function prometheusTls(): Promise<{ caFile: string; certFile: string; keyFile: string }> {
  return (await testPki()).files("prometheus");
}

/** The panels whose query returns no series now, as "where: expr". */
export async function panelsWithoutSeries(prom: Prometheus, panels: Array<PanelSpec & { where: string }>): Promise<string[]> {
  const missing: string[] = [];
  for (const p of panels) if ((await prom.query(p.expr)).length === 0) missing.push(`${p.where}: ${p.expr}`);
  return missing;
}
