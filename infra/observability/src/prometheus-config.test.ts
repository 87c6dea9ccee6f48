// prometheus.yml rendering: promtool accepts it, TLS applies to every job but Prometheus itself, bad inputs are refused.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { parse } from "yaml";
import { PrometheusConfigError, renderPrometheusConfig, type PrometheusConfigOptions } from "./prometheus-config.js";
import { componentJobFlags, parseJobFlags, parseJobTlsFlags } from "./render-prometheus-config.js";
import { rulesDir } from "./paths.js";

const execFileAsync = promisify(execFile);
let dir = "";
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "kp-prom-config-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const jobs: PrometheusConfigOptions["jobs"] = [
  { name: "apiserver", targets: ["127.0.0.1:6080"] },
  { name: "kubelet", targets: [{ address: "127.0.0.1:10255", labels: { node: "node-1" } }, { address: "127.0.0.1:10355", labels: { node: "node-2" } }] },
  { name: "prometheus", targets: ["127.0.0.1:9090"], useTls: false },
];

async function promtoolCheck(text: string): Promise<void> {
  const file = join(dir, `prometheus-${Math.random().toString(36).slice(2)}.yml`);
  await writeFile(file, text);
  await execFileAsync("promtool", ["check", "config", file]);
}

test("plain config: every job scrapes over http, the shipped rules are loaded, promtool accepts it", async () => {
  const text = renderPrometheusConfig({ jobs, ruleFiles: [join(rulesDir, "*.yaml")], scrapeInterval: "5s" });
  const cfg = parse(text) as { global: Record<string, string>; rule_files: string[]; scrape_configs: Array<Record<string, unknown>> };
  assert.equal(cfg.global.scrape_interval, "5s");
  assert.equal(cfg.global.evaluation_interval, "5s");
  assert.deepEqual(cfg.scrape_configs.map((c) => [c.job_name, c.scheme ?? "http"]), [["apiserver", "http"], ["kubelet", "http"], ["prometheus", "http"]]);
  assert.deepEqual(cfg.scrape_configs[1]!.static_configs, [
    { targets: ["127.0.0.1:10255"], labels: { node: "node-1" } },
    { targets: ["127.0.0.1:10355"], labels: { node: "node-2" } },
  ]);
  await promtoolCheck(text);
});

test("TLS: https with the client certificate on every job except Prometheus itself", async () => {
  const tls = { caFile: join(dir, "ca.crt"), certFile: join(dir, "prometheus.crt"), keyFile: join(dir, "prometheus.key") };
  for (const f of Object.values(tls)) await writeFile(f, "");
  const cfg = parse(renderPrometheusConfig({ jobs, tls })) as { scrape_configs: Array<Record<string, unknown>> };
  const byJob = new Map(cfg.scrape_configs.map((c) => [c.job_name, c]));
  for (const job of ["apiserver", "kubelet"]) {
    assert.equal(byJob.get(job)!.scheme, "https");
    assert.deepEqual(byJob.get(job)!.tls_config, { ca_file: tls.caFile, cert_file: tls.certFile, key_file: tls.keyFile });
  }
  assert.equal(byJob.get("prometheus")!.scheme, undefined);
  assert.equal(byJob.get("prometheus")!.tls_config, undefined);
});

test("a job's own TLS settings win over the config's, and apply without them", () => {
  const etcdTls = { caFile: "/pki/etcd/ca.crt", certFile: "/pki/etcd-client.crt", keyFile: "/pki/etcd-client.key" };
  const cfg = parse(renderPrometheusConfig({ jobs: [{ name: "etcd", targets: ["127.0.0.1:2379"], tls: etcdTls }, jobs[0]!] })) as { scrape_configs: Array<Record<string, unknown>> };
  assert.equal(cfg.scrape_configs[0]!.scheme, "https");
  assert.deepEqual(cfg.scrape_configs[0]!.tls_config, { ca_file: etcdTls.caFile, cert_file: etcdTls.certFile, key_file: etcdTls.keyFile });
  assert.equal(cfg.scrape_configs[1]!.scheme, undefined, "the other jobs stay plain");
});

test("refuses a duplicate job, an empty job and a target that is not HOST:PORT", () => {
  assert.throws(() => renderPrometheusConfig({ jobs: [jobs[0]!, jobs[0]!] }), PrometheusConfigError);
  assert.throws(() => renderPrometheusConfig({ jobs: [{ name: "x", targets: [] }] }), PrometheusConfigError);
  assert.throws(() => renderPrometheusConfig({ jobs: [{ name: "x", targets: ["http://127.0.0.1:1/metrics"] }] }), /not HOST:PORT/);
});

test("--job flags: targets merge by job name, ;label=value pairs become target labels", () => {
  assert.deepEqual(parseJobFlags(["apiserver=127.0.0.1:6080", "kubelet=127.0.0.1:10255;node=node-1", "apiserver=127.0.0.1:6081"]), [
    { name: "apiserver", targets: [{ address: "127.0.0.1:6080" }, { address: "127.0.0.1:6081" }] },
    { name: "kubelet", targets: [{ address: "127.0.0.1:10255", labels: { node: "node-1" } }] },
  ]);
  assert.throws(() => parseJobFlags(["127.0.0.1:6080"]), PrometheusConfigError);
});

test("--component flags: make up's process names map onto kube-prometheus' jobs and labels", () => {
  assert.deepEqual(componentJobFlags(["apiserver=127.0.0.1:6080", "scheduler=127.0.0.1:10251", "kubelet-node-2=127.0.0.1:10355", "etcd-m3=127.0.0.1:32379", "nats-exporter=127.0.0.1:7777", "dns=127.0.0.1:9153"]), [
    "apiserver=127.0.0.1:6080",
    "kube-scheduler=127.0.0.1:10251",
    "kubelet=127.0.0.1:10355;node=node-2",
    "etcd=127.0.0.1:32379;member=m3",
    "nats=127.0.0.1:7777",
    "kube-dns=127.0.0.1:9153",
  ]);
});

test("--job-tls: one job's own CA and client certificate", () => {
  assert.deepEqual(parseJobTlsFlags(["etcd=/pki/etcd/ca.crt,/pki/etcd-client.crt,/pki/etcd-client.key"]), new Map([["etcd", { caFile: "/pki/etcd/ca.crt", certFile: "/pki/etcd-client.crt", keyFile: "/pki/etcd-client.key" }]]));
  assert.throws(() => parseJobTlsFlags(["etcd=/pki/etcd/ca.crt"]), PrometheusConfigError);
});
