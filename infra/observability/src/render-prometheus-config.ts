// CLI around renderPrometheusConfig for shell scripts (infra/local/prometheus.sh, the chart): flags in, prometheus.yml out.
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { jobForComponent, labelsForComponent } from "./jobs.js";
import { PrometheusConfigError, renderPrometheusConfig, type ScrapeJob, type ScrapeTarget, type ScrapeTls } from "./prometheus-config.js";

const usage = `usage: render-prometheus-config [--component NAME=ADDR]... [--job NAME=ADDR[;LABEL=VALUE...][,ADDR...]]...
       [--self ADDR] [--rule-files GLOB]... [--scrape-interval 15s] [--plain-job NAME]...
       [--tls-ca-file F --tls-cert-file F --tls-key-file F [--tls-server-name N]]
       [--job-tls NAME=CA_FILE,CERT_FILE,KEY_FILE]... [--out FILE]
--component names a process as infra/local does (apiserver, kubelet-node-1, etcd-m1, ...) and scrapes
it in its job (jobs.ts: kubelet-node-1 → job kubelet, label node=node-1). --job names the job
directly; repeat either to add targets. --self adds the job "prometheus" scraping Prometheus itself
without TLS. With the three --tls-* files every job but --plain-job ones scrapes over https with that
client certificate; --job-tls gives one job its own (etcd's CA and an etcd client certificate).
Writes to stdout unless --out.`;

/** The per-job TLS settings `--job-tls NAME=CA,CERT,KEY` values name. */
export function parseJobTlsFlags(values: readonly string[]): Map<string, ScrapeTls> {
  const byJob = new Map<string, ScrapeTls>();
  for (const value of values) {
    const eq = value.indexOf("=");
    const files = value.slice(eq + 1).split(",");
    if (eq <= 0 || files.length !== 3 || files.some((f) => f === "")) {
      throw new PrometheusConfigError(`--job-tls ${JSON.stringify(value)}: expected NAME=CA_FILE,CERT_FILE,KEY_FILE`);
    }
    byJob.set(value.slice(0, eq), { caFile: files[0]!, certFile: files[1]!, keyFile: files[2]! });
  }
  return byJob;
}

/** The jobs `--component NAME=ADDR` values name, as --job values (see parseJobFlags). */
export function componentJobFlags(values: readonly string[]): string[] {
  return values.map((value) => {
    const eq = value.indexOf("=");
    if (eq <= 0) throw new PrometheusConfigError(`--component ${JSON.stringify(value)}: expected NAME=ADDR`);
    const name = value.slice(0, eq);
    const labels = Object.entries(labelsForComponent(name)).map(([k, v]) => `;${k}=${v}`);
    return `${jobForComponent(name)}=${value.slice(eq + 1)}${labels.join("")}`;
  });
}

/** The jobs named by `--job` values, merged by name in first-seen order. */
export function parseJobFlags(values: readonly string[]): ScrapeJob[] {
  const byName = new Map<string, ScrapeJob>();
  for (const value of values) {
    const eq = value.indexOf("=");
    if (eq <= 0) throw new PrometheusConfigError(`--job ${JSON.stringify(value)}: expected NAME=ADDR[,ADDR...]`);
    const name = value.slice(0, eq);
    const targets = value
      .slice(eq + 1)
      .split(",")
      .filter((t) => t !== "")
      .map((t): ScrapeTarget => {
        const [address, ...labelPairs] = t.split(";");
        const labels = Object.fromEntries(labelPairs.map((p) => p.split("=", 2) as [string, string]));
        return Object.keys(labels).length ? { address: address!, labels } : { address: address! };
      });
    const job = byName.get(name) ?? { name, targets: [] };
    job.targets.push(...targets);
    byName.set(name, job);
  }
  return [...byName.values()];
}

function main(argv: string[]): void {
  const { values } = parseArgs({
    args: argv,
    options: {
      job: { type: "string", multiple: true, default: [] },
      component: { type: "string", multiple: true, default: [] },
      "plain-job": { type: "string", multiple: true, default: [] },
      "job-tls": { type: "string", multiple: true, default: [] },
      self: { type: "string" },
      "rule-files": { type: "string", multiple: true, default: [] },
      "scrape-interval": { type: "string" },
      "tls-ca-file": { type: "string" },
      "tls-cert-file": { type: "string" },
      "tls-key-file": { type: "string" },
      "tls-server-name": { type: "string" },
      out: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return;
  }
  const jobs = parseJobFlags([...componentJobFlags(values.component), ...values.job]);
  const jobTls = parseJobTlsFlags(values["job-tls"]);
  for (const job of jobs) {
    if (values["plain-job"].includes(job.name)) job.useTls = false;
    const own = jobTls.get(job.name);
    if (own) job.tls = own;
  }
  if (values.self) jobs.push({ name: "prometheus", targets: [values.self], useTls: false });
  const tlsFiles = [values["tls-ca-file"], values["tls-cert-file"], values["tls-key-file"]];
  if (tlsFiles.some(Boolean) && !tlsFiles.every(Boolean)) throw new PrometheusConfigError("--tls-ca-file, --tls-cert-file and --tls-key-file go together");
  const text = renderPrometheusConfig({
    jobs,
    ruleFiles: values["rule-files"],
    ...(values["scrape-interval"] ? { scrapeInterval: values["scrape-interval"] } : {}),
    ...(values["tls-ca-file"]
      ? {
          tls: {
            caFile: values["tls-ca-file"],
            certFile: values["tls-cert-file"]!,
            keyFile: values["tls-key-file"]!,
            ...(values["tls-server-name"] ? { serverName: values["tls-server-name"] } : {}),
          },
        }
      : {}),
  });
  if (values.out) writeFileSync(values.out, text);
  else process.stdout.write(text);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    main(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`render-prometheus-config: ${(err as Error).message}\n${usage}\n`);
    process.exit(2);
  }
}
