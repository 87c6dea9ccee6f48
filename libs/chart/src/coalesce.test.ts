import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { coalesceValues, dependencyEnabled, mergeValues, userValues, valueChart } from "./coalesce.js";
import type { Chart } from "./types.js";

function chart(name: string, values: Record<string, unknown>, subcharts: Chart[] = [], dependencies: Chart["metadata"]["dependencies"] = []): Chart {
  return { metadata: { apiVersion: "v2", name, version: "1.0.0", type: "application", dependencies }, values, templates: [], subcharts };
}

describe("values precedence", () => {
  test("chart defaults ← -f files in order ← --set ← --set-string", () => {
    const user = userValues({
      files: [{ replicas: 2, image: { tag: "a", pullPolicy: "Always" } }, { image: { tag: "b" } }],
      set: ["replicas=5,image.tag=c"],
      setString: ["version=1"],
    });
    assert.deepEqual(user, { replicas: 5, image: { tag: "c", pullPolicy: "Always" }, version: "1" });
    const final = coalesceValues(user, { replicas: 1, image: { repository: "busybox", tag: "latest" }, service: { port: 80 } });
    assert.deepEqual(final, { service: { port: 80 }, replicas: 5, image: { repository: "busybox", tag: "c", pullPolicy: "Always" }, version: "1" });
  });

  test("a null from the user deletes the default; lists replace rather than merge", () => {
    const final = coalesceValues(userValues({ set: ["resources=null,ports={8080}"] }), { resources: { cpu: "1" }, ports: [80, 443], keep: true });
    assert.deepEqual(final, { keep: true, ports: [8080] });
  });

  test("mergeValues never changes its inputs", () => {
    const base = { a: { b: 1 } };
    const merged = mergeValues(base, { a: { c: 2 } });
    assert.deepEqual(base, { a: { b: 1 } });
    assert.deepEqual(merged, { a: { b: 1, c: 2 } });
  });

  test("a subchart gets its key (by alias) over its defaults, and the parent's globals over its own", () => {
    const redis = chart("redis", { port: 6379, global: { region: "us", zone: "a" } });
    const app = chart("app", { global: { region: "eu" }, cache: { port: 7000 } }, [redis], [{ name: "redis", alias: "cache" }]);
    const valued = valueChart(app, {});
    const sub = valued.subcharts[0];
    assert.equal(sub?.name, "cache");
    assert.deepEqual(sub?.values, { port: 7000, global: { region: "eu", zone: "a" } });
    assert.deepEqual(valued.values.cache, sub?.values, "the parent sees the subchart's final values under its key");
  });

  test("conditions and tags enable and disable subcharts; the first boolean condition path wins", () => {
    assert.equal(dependencyEnabled({ name: "x", condition: "x.enabled,global.x" }, { x: { enabled: false }, global: { x: true } }), false);
    assert.equal(dependencyEnabled({ name: "x", condition: "missing.path,global.x" }, { global: { x: true } }), true);
    assert.equal(dependencyEnabled({ name: "x", tags: ["db"] }, { tags: { db: false } }), false);
    assert.equal(dependencyEnabled({ name: "x", tags: ["db", "cache"] }, { tags: { db: false, cache: true } }), true);
    assert.equal(dependencyEnabled({ name: "x", condition: "x.on", tags: ["db"] }, { x: { on: true }, tags: { db: false } }), true);
    const off = valueChart(chart("app", { sub: { enabled: false } }, [chart("sub", { a: 1 })], [{ name: "sub", condition: "sub.enabled" }]), {});
    assert.equal(off.subcharts.length, 0);
    assert.equal("sub" in off.values, false);
  });
});
