// Unit tests of the in-tree registry and of merging out-of-tree plugins into it.
import assert from "node:assert/strict";
import { test } from "node:test";
import { SUCCESS, type FilterPlugin } from "../framework/interface.js";
import { DEFAULT_PLUGINS } from "../framework/profile.js";
import { DuplicatePluginError, mergeRegistries } from "../framework/registry.js";
import { inTreeRegistry } from "./registry.js";

test("the in-tree registry has a constructor for every default plugin", () => {
  const registry = inTreeRegistry();
  for (const { name } of DEFAULT_PLUGINS) assert.equal(typeof registry[name], "function", name);
  assert.equal(Object.keys(registry).length, DEFAULT_PLUGINS.length);
});

test("merging adds out-of-tree plugins and refuses a name twice", () => {
  const extra = { Custom: () => ({ name: "Custom", filter: () => SUCCESS }) as FilterPlugin };
  const merged = mergeRegistries(inTreeRegistry(), extra);
  assert.ok(merged["Custom"] && merged["NodeName"]);
  assert.throws(() => mergeRegistries(merged, { NodeName: extra.Custom }), DuplicatePluginError);
});
