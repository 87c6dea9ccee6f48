// Property tests (fast-check, fixed seed): decode, defaulting, validation and the three patch kinds never fail other than with their own errors, and round-trips hold.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { isApiError } from "./api-error.js";
import { applyDefaults } from "./defaults/index.js";
import { decodeJson, encodeJson } from "./json-codec.js";
import { defaultJsonLimits, jsonValueDepth } from "./json-limits.js";
import { JsonPatchError, applyJsonPatch } from "./json-patch.js";
import { kindsList, type KindInfo } from "./kinds.js";
import { mergePatch } from "./merge-patch.js";
import { StrategicMergePatchError, strategicMergePatch } from "./strategic-merge-patch.js";
import { anyJson, hostileString, propertyParams, shapedManifest } from "./test-arbitraries.js";
import { validateObject } from "./validation/index.js";

const kind = (name: string): KindInfo => {
  const info = kindsList.find((k) => k.kind === name);
  assert.ok(info, name);
  return info;
};
const kinds = ["Pod", "Deployment", "Service", "ConfigMap", "Secret", "Job", "CronJob", "Ingress", "Namespace", "Node", "StatefulSet", "ClusterRole"].map(kind);

/** Fails with the offending value when `fn` throws anything but an allowed error. */
function throwsOnly(fn: () => unknown, allowed: (err: unknown) => boolean): void {
  try {
    fn();
  } catch (err) {
    if (!allowed(err)) throw err;
  }
}

test("decoding arbitrary JSON as any kind returns an object or field errors, never throws", () => {
  fc.assert(
    fc.property(fc.constantFrom(...kindsList), anyJson, (info, json) => {
      const { object, errors } = decodeJson(info, json);
      assert.ok(object !== undefined || errors.length > 0);
      for (const e of errors) assert.equal(typeof e.field, "string");
    }),
    propertyParams(400),
  );
});

test("shaped manifests: decode, default and validate never throw; what decodes round-trips through encodeJson", () => {
  fc.assert(
    fc.property(fc.constantFrom(...kinds).chain((info) => fc.tuple(fc.constant(info), shapedManifest(info))), ([info, json]) => {
      const { object, errors } = decodeJson(info, json);
      if (!object) {
        assert.ok(errors.length > 0);
        return;
      }
      const encoded = encodeJson(info, object);
      const again = decodeJson(info, encoded);
      assert.deepEqual(again.errors, [], "what the codec encodes, it decodes");
      assert.deepEqual(encodeJson(info, again.object!), encoded, "encode ∘ decode is the identity on encoded JSON");
      applyDefaults(info, object);
      const fieldErrors = validateObject(info, object);
      for (const e of fieldErrors) assert.equal(typeof e.field, "string");
      // Validation of an update against itself never throws either.
      validateObject(info, object, object);
    }),
    propertyParams(200),
  );
});

test("merge patch: never throws within the depth limit, leaves its inputs alone, and is idempotent", () => {
  fc.assert(
    fc.property(anyJson, anyJson, (target, patch) => {
      const before = structuredClone([target, patch]);
      const once = mergePatch(target, patch);
      assert.deepEqual([target, patch], before, "inputs unchanged");
      assert.deepEqual(mergePatch(once, patch), once, "applying a merge patch twice equals once");
    }),
    propertyParams(500),
  );
});

test("merge patch deeper than the limit is a BadRequest ApiError, at any depth", () => {
  fc.assert(
    fc.property(fc.integer({ min: defaultJsonLimits.maxDepth + 1, max: 20_000 }), fc.constantFrom("object", "array"), (depth, shape) => {
      let patch: unknown = 1;
      for (let i = 0; i < depth; i++) patch = shape === "object" ? { a: patch } : [patch];
      if (shape === "array") patch = { a: patch };
      assert.ok(jsonValueDepth(patch) > defaultJsonLimits.maxDepth);
      try {
        mergePatch({}, patch);
        assert.fail("accepted");
      } catch (err) {
        assert.ok(isApiError(err) && err.reason === "BadRequest", String(err));
      }
    }),
    propertyParams(30),
  );
});

const podTypeName = kind("Pod").typeName;

test("strategic merge patch over shaped pods throws only its own error or an ApiError, and agrees with merge patch without lists or directives", () => {
  const noListsOrDirectives = (v: unknown): boolean =>
    Array.isArray(v) ? false : typeof v === "object" && v !== null ? Object.entries(v).every(([k, x]) => !k.startsWith("$") && noListsOrDirectives(x)) : true;
  fc.assert(
    fc.property(shapedManifest(kind("Pod")), fc.oneof(shapedManifest(kind("Pod")), anyJson), (original, patch) => {
      throwsOnly(
        () => {
          const out = strategicMergePatch(podTypeName, original, patch);
          if (noListsOrDirectives(patch) && typeof patch === "object" && patch !== null) assert.deepEqual(out, mergePatch(original, patch));
        },
        (err) => err instanceof StrategicMergePatchError || isApiError(err),
      );
    }),
    propertyParams(400),
  );
});

test("strategic merge patch directives from a hostile client never crash it", () => {
  const directive = fc.record({ $patch: fc.constantFrom("delete", "replace", "merge", "bogus", 7) }, { requiredKeys: [] });
  const containers = fc.array(fc.oneof(fc.record({ name: hostileString, image: hostileString }, { requiredKeys: [] }).chain((c) => directive.map((d) => ({ ...c, ...d }))), anyJson), { maxLength: 4 });
  const patch = fc.record(
    {
      spec: fc.record({ containers, "$setElementOrder/containers": anyJson, "$deleteFromPrimitiveList/finalizers": anyJson, $retainKeys: anyJson }, { requiredKeys: [] }),
      metadata: fc.oneof(directive, anyJson),
      $patch: fc.constantFrom("replace", "delete", "x"),
    },
    { requiredKeys: [] },
  );
  fc.assert(
    fc.property(shapedManifest(kind("Pod")), patch, (original, p) => {
      throwsOnly(() => strategicMergePatch(podTypeName, original, p), (err) => err instanceof StrategicMergePatchError || isApiError(err));
    }),
    propertyParams(400),
  );
});

test("JSON patch: hostile operations throw only JsonPatchError or an ApiError, and never change the document", () => {
  const pointer = fc.oneof(fc.constantFrom("", "/", "/metadata", "/metadata/labels/a", "/spec/containers/0", "/spec/containers/-", "/a~1b", "/x/~0"), hostileString);
  const op = fc.record(
    { op: fc.constantFrom("add", "remove", "replace", "move", "copy", "test", "bogus"), path: fc.oneof(pointer, anyJson), from: pointer, value: anyJson },
    { requiredKeys: ["op"] },
  );
  fc.assert(
    fc.property(shapedManifest(kind("Pod")), fc.oneof(fc.array(fc.oneof(op, anyJson), { maxLength: 5 }), anyJson), (doc, ops) => {
      const before = JSON.stringify(doc);
      throwsOnly(() => applyJsonPatch(doc, ops), (err) => err instanceof JsonPatchError || isApiError(err));
      assert.equal(JSON.stringify(doc), before);
    }),
    propertyParams(500),
  );
});
