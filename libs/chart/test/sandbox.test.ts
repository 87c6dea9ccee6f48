// The render process: the web example chart through it (golden), and the limits that stop a hostile or broken chart.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { describe, test } from "node:test";
import { loadChart, RenderLimitError, renderChart, SchemaValidationError, TemplateError, userValues, type Chart, type ReleaseInfo } from "../src/index.js";
import { assertGolden } from "../src/golden-test-support.js";

const webChart = fileURLToPath(new URL("../../../charts/examples/web", import.meta.url));
const release: ReleaseInfo = { name: "web", namespace: "default", revision: 1, isInstall: true, isUpgrade: false, service: "kpctl" };

function inline(templates: Record<string, string>): Chart {
  return {
    metadata: { apiVersion: "v2", name: "t", version: "0.1.0", type: "application", dependencies: [] },
    values: {},
    templates: Object.entries(templates).map(([name, data]) => ({ name: `templates/${name}`, data })),
    subcharts: [],
  };
}

describe("rendering in the sandbox process", () => {
  test("the web example chart renders to its golden manifest and notes", async () => {
    const chart = await loadChart(webChart);
    const result = await renderChart({ chart, values: userValues({ set: ["replicas=3"] }), release });
    await assertGolden("web.yaml", `${result.manifest}---\n# NOTES.txt\n${result.notes}`);
    assert.deepEqual(result.objects.map((o) => String(o.object.kind)), ["ConfigMap", "Service", "Deployment", "Ingress"]);
  });

  test("errors cross the process boundary as the same classes, with file and line", async () => {
    const chart = await loadChart(webChart);
    await assert.rejects(renderChart({ chart, values: userValues({ set: ["replicas=five"] }), release }), (err: unknown) => {
      assert.ok(err instanceof SchemaValidationError);
      assert.match(err.message, /- at '\/replicas': must be integer/);
      return true;
    });
    await assert.rejects(renderChart({ chart, values: userValues({ set: ["ingress.host="] }), release }), (err: unknown) => {
      assert.ok(err instanceof TemplateError);
      assert.equal(err.message, "template: web/templates/ingress.yaml:13: execution error: ingress.host is required when ingress.enabled is true");
      return true;
    });
  });

  test("a template that never ends is killed at the time limit with a clear error", async () => {
    const started = Date.now();
    await assert.rejects(renderChart({ chart: inline({ "loop.yaml": "<% while (true) {} %>" }), values: {}, release }, { timeoutMs: 1500 }), (err: unknown) => {
      assert.ok(err instanceof RenderLimitError, String(err));
      assert.match(err.message, /^rendering chart "t" took longer than 1.5s and was stopped/);
      return true;
    });
    assert.ok(Date.now() - started < 10_000, "stopped near the limit");
  });

  test("a template that allocates without end is stopped at the heap limit", async () => {
    const hog = "<% const keep = []; for (;;) keep.push(new Array(100000).fill(keep.length)); %>";
    await assert.rejects(renderChart({ chart: inline({ "hog.yaml": hog }), values: {}, release }, { maxOldSpaceMb: 64, timeoutMs: 30_000 }), (err: unknown) => {
      assert.ok(err instanceof RenderLimitError, String(err));
      assert.match(err.message, /used more than 64 MiB of heap and was stopped/);
      return true;
    });
  });

  test("templates do not see the caller's environment", async () => {
    process.env.KP_CHART_TEST_SECRET = "do-not-leak";
    const chart = inline({ "cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: env\ndata:\n  env: <%= quote(JSON.stringify(process.env)) %>\n" });
    const result = await renderChart({ chart, values: {}, release });
    const data = result.objects[0]?.object.data as { env: string };
    assert.doesNotMatch(data.env, /do-not-leak/);
  });
});
