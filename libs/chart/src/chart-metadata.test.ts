import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { isSemver, parseChartMetadata } from "./chart-metadata.js";
import { ChartLoadError } from "./errors.js";

describe("Chart.yaml", () => {
  test("a v2 chart is read with defaults (type application) and numeric appVersion kept as text", () => {
    const md = parseChartMetadata({ apiVersion: "v2", name: "web", version: "0.1.0", appVersion: 1.36, dependencies: [{ name: "redis", alias: "cache", condition: "cache.enabled" }] }, "Chart.yaml");
    assert.deepEqual(md, { apiVersion: "v2", name: "web", version: "0.1.0", type: "application", appVersion: "1.36", dependencies: [{ name: "redis", alias: "cache", condition: "cache.enabled" }] });
  });

  test("SemVer 2 versions, with Helm's leniency for a leading v and short forms", () => {
    for (const v of ["1.2.3", "0.0.1-rc.1+build.5", "v1.2.3", "1.2", "1"]) assert.ok(isSemver(v), v);
    for (const v of ["01.2.3", "1.2.3.4", "latest", "1.2.3-", ""]) assert.ok(!isSemver(v), v);
  });

  test("missing or invalid fields are refused with Helm's wording", () => {
    const cases: [unknown, RegExp][] = [
      [{ name: "x", version: "1.0.0" }, /chart.metadata.apiVersion is required/],
      [{ apiVersion: "v1", name: "x", version: "1.0.0" }, /apiVersion "v1" is not supported/],
      [{ apiVersion: "v2", version: "1.0.0" }, /chart.metadata.name is required/],
      [{ apiVersion: "v2", name: "x" }, /chart.metadata.version is required/],
      [{ apiVersion: "v2", name: "x", version: "one" }, /chart.metadata.version "one" is invalid/],
      [{ apiVersion: "v2", name: "x", version: "1.0.0", type: "plugin" }, /chart type "plugin" is invalid/],
      [{ apiVersion: "v2", name: "a/b", version: "1.0.0" }, /name "a\/b" is invalid/],
      [{ apiVersion: "v2", name: "x", version: "1.0.0", dependencies: [{ alias: "y" }] }, /dependencies\[0\]: name is required/],
    ];
    for (const [raw, why] of cases) assert.throws(() => parseChartMetadata(raw, "Chart.yaml"), (err: unknown) => err instanceof ChartLoadError && why.test(err.message), String(why));
  });
});
