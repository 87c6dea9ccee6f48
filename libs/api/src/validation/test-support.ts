// Fixtures for the validation tests: valid objects of each kind, defaulted as the apiserver would.
import assert from "node:assert/strict";
import { applyDefaults } from "../defaults/index.js";
import type { FieldError } from "../field-errors.js";
import { kindFor, type ApiObject, type KindInfo } from "../kinds.js";

/** The registry entry for apiVersion/kind (fails the test when missing). */
export function kindInfo(apiVersion: string, kind: string): KindInfo {
  const k = kindFor(apiVersion, kind);
  assert.ok(k, `${apiVersion}/${kind} not registered`);
  return k;
}

/** Decodes a Kubernetes JSON manifest with the kind's codec and applies its defaults. */
export function manifest<T extends ApiObject = ApiObject>(json: Record<string, unknown>): T {
  const k = kindInfo(String(json.apiVersion), String(json.kind));
  const obj = k.codec.fromJSON(json);
  applyDefaults(k, obj);
  return obj as T;
}

/** The (field, type) pairs of `errs`, for exact comparisons. */
export function pairs(errs: readonly FieldError[]): string[] {
  return errs.map((e) => `${e.field} ${e.type}`);
}

/** A pod template whose labels are `labels`, one nginx container. */
export function template(labels: Record<string, string>, restartPolicy?: string): Record<string, unknown> {
  return { metadata: { labels }, spec: { ...(restartPolicy ? { restartPolicy } : {}), containers: [{ name: "nginx", image: "nginx:1.27" }] } };
}
