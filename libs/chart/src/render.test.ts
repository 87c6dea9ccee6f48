import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, test } from "node:test";
import { SchemaValidationError, TemplateError, ManifestError } from "./errors.js";
import { assertGolden, FIXTURES } from "./golden-test-support.js";
import { loadChart } from "./load-chart.js";
import { renderChartUnsandboxed } from "./render.js";
import { userValues } from "./coalesce.js";
import type { Chart, ReleaseInfo } from "./types.js";

const release: ReleaseInfo = { name: "rel", namespace: "team-a", revision: 3, isInstall: false, isUpgrade: true, service: "kpctl" };
const capabilities = { kubeVersion: "v1.29.4", apiVersions: ["v1", "apps/v1", "apps/v1/Deployment"] };

/** A one-chart chart made of the given templates, for error tests. */
function inline(templates: Record<string, string>, values: Record<string, unknown> = {}): Chart {
  return {
    metadata: { apiVersion: "v2", name: "t", version: "0.1.0", type: "application", dependencies: [] },
    values,
    templates: Object.entries(templates).map(([name, data]) => ({ name: `templates/${name}`, data })),
    subcharts: [],
  };
}

function renderError(chart: Chart, set: string[] = []): Error {
  try {
    renderChartUnsandboxed({ chart, values: userValues({ set }), release });
  } catch (err) {
    return err as Error;
  }
  assert.fail("the render did not fail");
}

describe("rendering a chart", () => {
  test("the fixture chart renders to its golden manifest: helpers, named templates, subcharts, globals, capabilities", async () => {
    const chart = await loadChart(join(FIXTURES, "app"));
    const result = renderChartUnsandboxed({ chart, values: userValues({ set: ["cache.size=7"] }), release, capabilities });
    await assertGolden("app.yaml", result.manifest);
    assert.equal(result.notes, "Installed rel-demo (1 replicas).\n", "only the top chart's NOTES.txt, rendered apart");
    assert.deepEqual(
      result.objects.map((o) => `${o.template} ${String(o.object.kind)}`),
      [
        "app/templates/capabilities.yaml ConfigMap",
        "app/templates/helpers.yaml ConfigMap",
        "app/charts/cache/templates/cm.yaml ConfigMap",
        "app/templates/multi.yaml Service",
        "app/templates/multi.yaml Service",
      ],
      "install order (ConfigMaps before Services), each object with its template; the disabled subchart renders nothing",
    );
  });

  test("values break the schema: every problem is named by its JSON path, subcharts against their own schema", async () => {
    const chart = await loadChart(join(FIXTURES, "app"));
    const err = renderError(chart, ["replicas=many", "ports={80,https}", "cache.size=11"]);
    assert.ok(err instanceof SchemaValidationError);
    assert.match(err.message, /^values don't meet the specifications of the schema\(s\) in the following chart\(s\):\napp:\n/);
    assert.match(err.message, /- at '\/replicas': must be integer/);
    assert.match(err.message, /- at '\/ports\/1': must be integer/);
    assert.match(err.message, /cache:\n- at '\/size': must be <= 10/);
    assert.deepEqual(err.problems.map((p) => `${p.chart}${p.path}`).sort(), ["app/ports/1", "app/replicas", "cache/size"]);
  });

  test("a template that throws names its file and line", () => {
    const err = renderError(inline({ "cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: <%= Values.missing.name %>\n" }));
    assert.ok(err instanceof TemplateError);
    assert.equal(err.file, "t/templates/cm.yaml");
    assert.equal(err.line, 4);
    assert.match(err.message, /^template: t\/templates\/cm.yaml:4: TypeError: Cannot read properties of undefined \(reading 'name'\)/);
  });

  test("JavaScript that does not compile names its file and line", () => {
    const err = renderError(inline({ "cm.yaml": "a: 1\nb: 2\n<% if (Values.x) { %>\nc: <%= Values.x + %>\n<% } %>\n" }));
    assert.ok(err instanceof TemplateError);
    assert.match(err.message, /^template: t\/templates\/cm.yaml:4: SyntaxError: /);
  });

  test("an unclosed tag names its file and line", () => {
    const err = renderError(inline({ "cm.yaml": "a: 1\nb: <%= Values.x\n" }));
    assert.ok(err instanceof TemplateError);
    assert.match(err.message, /^template: t\/templates\/cm.yaml:2: .*unclosed tag/);
  });

  test("an error inside a named template names both the include and the definition", () => {
    const err = renderError(
      inline({
        "_helpers.tpl": "<%_ define(\"t.name\", (ctx) => { _%>\n\n<%= ctx.Values.nested.name %>\n<%_ }) _%>\n",
        "cm.yaml": "kind: ConfigMap\napiVersion: v1\nmetadata:\n  name: <%= include(\"t.name\") %>\n",
      }),
    );
    assert.ok(err instanceof TemplateError);
    assert.match(err.message, /^template: t\/templates\/cm.yaml:4: error calling include\("t.name"\): template: t\/templates\/_helpers.tpl:3: TypeError/);
  });

  test("required fails with its message at the line that called it; include of an unknown name fails", () => {
    const required = renderError(inline({ "cm.yaml": "a: 1\nb: <%= required(\"image.tag is required\", Values.image?.tag) %>\n" }));
    assert.equal(required.message, "template: t/templates/cm.yaml:2: execution error: image.tag is required");
    const unknown = renderError(inline({ "cm.yaml": "a: <%= include(\"nope\") %>\n" }));
    assert.match(unknown.message, /^template: t\/templates\/cm.yaml:1: error calling include: template "nope" not defined/);
  });

  test("output that is not YAML, or a document without kind, is refused naming the template", () => {
    const bad = renderError(inline({ "cm.yaml": "apiVersion: v1\nkind: ConfigMap\n  data: [\n" }));
    assert.ok(bad instanceof ManifestError);
    assert.match(bad.message, /^YAML parse error on t\/templates\/cm.yaml: line \d+:/);
    const kindless = renderError(inline({ "cm.yaml": "apiVersion: v1\nmetadata:\n  name: x\n" }));
    assert.match(kindless.message, /t\/templates\/cm.yaml: error validating data: \[kind not set\]/);
  });

  test("a template that includes itself is stopped at a nesting limit, not a stack overflow", () => {
    const err = renderError(inline({ "_h.tpl": "<% define(\"loop\", (ctx) => { %><%= include(\"loop\", ctx) %><% }) %>", "cm.yaml": "a: <%= include(\"loop\") %>\n" }));
    assert.ok(err instanceof TemplateError);
    assert.match(err.message, /exceeds the limit of 1000|Maximum call stack/);
  });
});
