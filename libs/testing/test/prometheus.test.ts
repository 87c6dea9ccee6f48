// startPrometheus: a real Prometheus on a free port, scraping what the config names, evaluating the rule files given, gone after stop.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { test } from "node:test";
import { PrometheusQueryError, startPrometheus, waitFor } from "@kubeplane/testing";

test("scrapes itself, evaluates the rule files, answers queries and alerts, and leaves nothing after stop", async () => {
  const prom = await startPrometheus({
    ruleFiles: { "always.yaml": "groups:\n  - name: t\n    rules:\n      - alert: AlwaysFiring\n        expr: vector(1)\n" },
    config: ({ address, ruleFiles }) =>
      `global: { scrape_interval: 1s, evaluation_interval: 1s }\nrule_files: ${JSON.stringify(ruleFiles)}\nscrape_configs:\n  - job_name: self\n    static_configs: [{ targets: ["${address}"] }]\n`,
  });
  try {
    const up = await waitFor(async () => (await prom.query('up{job="self"} == 1')).at(0), { timeoutMs: 20_000, message: "Prometheus scraping itself" });
    assert.equal(up.metric.instance, prom.address);
    const alert = await waitFor(async () => (await prom.alerts()).find((a) => a.labels.alertname === "AlwaysFiring"), { timeoutMs: 20_000, message: "the rule's alert" });
    assert.equal(alert.state, "firing");
    assert.deepEqual((await prom.targets()).map((t) => [t.labels.job, t.health]), [["self", "up"]]);
    await assert.rejects(prom.query("sum(("), PrometheusQueryError);
  } finally {
    await prom.stop();
  }
  assert.equal(existsSync(prom.dir), false, "its temp dir is removed");
});
