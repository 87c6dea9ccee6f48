// fast-check arbitraries for property tests: manifests shaped by a kind's schema, mostly well-typed, sometimes hostile.
import { ScalarType, type DescField, type DescMessage } from "@bufbuild/protobuf";
import fc from "fast-check";
import { messageDescriptor } from "./json-codec.js";
import type { KindInfo } from "./kinds.js";

/** The seed of every property run: fixed, so a failure reproduces; KP_FC_SEED overrides it. */
export const propertySeed = Number(process.env.KP_FC_SEED ?? 20261206);

/** fc.assert's parameters for this suite: the fixed seed and `numRuns`; fast-check prints the seed and path of a failure. */
export function propertyParams(numRuns: number): fc.Parameters<unknown> {
  return { seed: propertySeed, numRuns };
}

/** Strings a hostile client sends: plausible names and quantities, odd unicode, control characters, long runs. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom("web", "nginx:1.25", "500m", "1Gi", "80", "TCP", "Always", "default", "kube-system", "app.kubernetes.io/name") },
  { weight: 3, arbitrary: fc.string({ maxLength: 20 }) },
  { weight: 2, arbitrary: fc.string({ unit: "grapheme", maxLength: 12 }) },
  { weight: 1, arbitrary: fc.constantFrom("", " ", "\u0000", "\u202e", "🦄", "e\u0301", "-1", "1e309", "NaN", "__proto__", "constructor", "a".repeat(300), "../../etc", "$patch") },
);

/** Any JSON value, hostile strings included. */
export const anyJson: fc.Arbitrary<unknown> = fc.jsonValue({ maxDepth: 4 });

function scalarValue(type: ScalarType): fc.Arbitrary<unknown> {
  switch (type) {
    case ScalarType.BOOL:
      return fc.boolean();
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      return fc.double({ noNaN: true, noDefaultInfinity: true });
    case ScalarType.STRING:
    case ScalarType.BYTES:
      return hostileString;
    default:
      return fc.oneof(fc.integer({ min: -5, max: 100 }), fc.integer(), fc.constantFrom(2 ** 31, -(2 ** 53), 0.5));
  }
}

const cache = new Map<string, fc.Arbitrary<Record<string, unknown>>>();

function elementValue(field: DescField, depth: number): fc.Arbitrary<unknown> {
  if (field.message) return shapedMessage(field.message, depth + 1);
  if (field.enum) return fc.constantFrom(...field.enum.values.map((v) => v.name), "NotAnEnumValue");
  return scalarValue(field.scalar ?? ScalarType.STRING);
}

/** One field's value: right-typed nine times in ten, any JSON otherwise. */
function fieldValue(field: DescField, depth: number): fc.Arbitrary<unknown> {
  let typed: fc.Arbitrary<unknown>;
  if (field.fieldKind === "list") typed = fc.array(elementValue(field, depth), { maxLength: depth > 2 ? 1 : 3 });
  else if (field.fieldKind === "map") typed = fc.dictionary(hostileString, elementValue(field, depth), { maxKeys: 3 });
  else typed = elementValue(field, depth);
  return fc.oneof({ weight: 9, arbitrary: typed }, { weight: 1, arbitrary: anyJson });
}

/**
 * A JSON object with the fields of `desc` (each present or not), nesting messages up to a few
 * levels; wrapper and Struct types get any JSON. Unknown keys appear now and then.
 */
export function shapedMessage(desc: DescMessage, depth = 0): fc.Arbitrary<Record<string, unknown>> {
  const key = `${desc.typeName}@${depth}`;
  const cached = cache.get(key);
  if (cached) return cached;
  let arb: fc.Arbitrary<Record<string, unknown>>;
  if (depth > 3 || desc.typeName.startsWith("google.protobuf.")) arb = fc.constant({});
  else {
    arb = fc
      .tuple(
        fc.subarray(desc.fields as DescField[], { maxLength: Math.min(desc.fields.length, depth === 0 ? 6 : 4) }).chain((fields) =>
          fields.length ? fc.tuple(...fields.map((f) => fieldValue(f, depth).map((v) => [f.jsonName, v] as const))) : fc.constant([] as (readonly [string, unknown])[]),
        ),
        fc.option(fc.tuple(hostileString, anyJson), { freq: 10 }),
      )
      .map(([entries, unknown]) => {
        const out: Record<string, unknown> = {};
        for (const [k, v] of entries) out[k] = v;
        if (unknown) Object.defineProperty(out, `x-${unknown[0]}`, { value: unknown[1], enumerable: true, writable: true, configurable: true });
        return out;
      });
  }
  cache.set(key, arb);
  return arb;
}

/** A manifest of `info`'s kind: apiVersion, kind, a name (mostly valid), a namespace when namespaced, then schema-shaped fields. */
export function shapedManifest(info: KindInfo): fc.Arbitrary<Record<string, unknown>> {
  const name = fc.oneof({ weight: 3, arbitrary: fc.stringMatching(/^[a-z][a-z0-9-]{0,10}[a-z0-9]$/) }, { weight: 1, arbitrary: hostileString });
  return fc.tuple(shapedMessage(messageDescriptor(info.typeName)), name, fc.dictionary(fc.stringMatching(/^[a-z]{1,5}(\/[a-z]{1,5})?$/), hostileString, { maxKeys: 2 })).map(([body, n, labels]) => ({
    ...body,
    apiVersion: info.apiVersion,
    kind: info.kind,
    metadata: { ...(typeof body.metadata === "object" && body.metadata !== null && !Array.isArray(body.metadata) ? body.metadata : {}), name: n, labels, ...(info.namespaced ? { namespace: "default" } : {}) },
  }));
}
