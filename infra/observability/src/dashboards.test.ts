// The shipped dashboards: generated from dashboards.ts (committed JSON current), unique uids, every query valid PromQL.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import { stringify } from "yaml";
import { dashboards } from "./dashboards.js";
import { generatedDashboards, staleDashboards } from "./generate-dashboards.js";
import { grafanaSchemaVersion } from "./grafana.js";
import { dashboardsDir } from "./paths.js";

const execFileAsync = promisify(execFile);

test("the committed dashboards are exactly what the generator writes", async () => {
  assert.deepEqual(await staleDashboards(), [], "run: node --conditions=source --import tsx infra/observability/src/generate-dashboards.ts");
});

test("every dashboard has a unique uid, panels with a query each, and Grafana's current schema", async () => {
  assert.equal(new Set(dashboards.map((d) => d.uid)).size, dashboards.length);
  for (const [name] of generatedDashboards()) {
    const json = JSON.parse(await readFile(join(dashboardsDir, name), "utf8")) as { schemaVersion: number; panels: Array<{ id: number; targets: Array<{ expr: string }> }> };
    assert.equal(json.schemaVersion, grafanaSchemaVersion);
    assert.ok(json.panels.length > 0, name);
    assert.equal(new Set(json.panels.map((p) => p.id)).size, json.panels.length, `${name}: panel ids unique`);
    for (const p of json.panels) assert.ok(p.targets[0]?.expr, `${name}: panel ${p.id} has a query`);
  }
});

test("every panel query parses as PromQL (promtool check rules on a rule per query)", async () => {
  const dir = await mkdtemp(join(tmpdir(), "kp-dash-promql-"));
  try {
    const rules = dashboards.flatMap((d) => d.panels.map((p, i) => ({ record: `panel:${d.uid.replace(/-/g, "_")}:${i}`, expr: p.expr })));
    const file = join(dir, "panels.yaml");
    await writeFile(file, stringify({ groups: [{ name: "panels", rules }] }));
    await execFileAsync("promtool", ["check", "rules", file]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("the dashboards cover what issue 16 lists: apiserver, etcd, watch/NATS, scheduler, controller-manager, kubelet, networking", () => {
  const exprs = dashboards.flatMap((d) => d.panels.map((p) => p.expr)).join("\n");
  for (const metric of [
    "apiserver_request_total",
    "apiserver_request_duration_seconds",
    "apiserver_current_inflight_requests",
    "etcd_request_duration_seconds",
    "apiserver_watch_events_total",
    "workqueue_depth",
    "workqueue_adds_total",
    "workqueue_queue_duration_seconds",
    "workqueue_work_duration_seconds",
    "scheduler_schedule_attempts_total",
    "kubelet_pod_start_sli_duration_seconds",
    "kubelet_running_pods",
    "container_cpu_usage_seconds_total",
    "container_memory_working_set_bytes",
    "kubeproxy_sync_proxy_rules_duration_seconds",
    "coredns_dns_requests_total",
    "grpc_server_handled_total",
    "grpc_server_handling_seconds",
    "gnatsd_varz_connections",
    "etcd_server_has_leader",
  ]) {
    assert.ok(exprs.includes(metric), `no panel shows ${metric}`);
  }
});
